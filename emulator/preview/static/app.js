// The preview page: plays Telegram's app against the emulator's JSON endpoints.
// Every text from the bot goes into the page as text nodes; only its entities become elements.
"use strict";

const POLL_MS = 400;
const page = { me: Number(location.hash.slice(1)) || null, last: "", state: null, toasted: new Set() };
const $ = (id) => document.getElementById(id);

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  Object.assign(node, props);
  node.append(...children);
  return node;
}

async function post(path, body) {
  try {
    const response = await fetch(`/preview/api/${path}`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ user_id: page.me, ...body }),
    });
    const answer = await response.json();
    if (!answer.ok) toast(answer.error);
    return answer;
  } catch (error) {
    toast("The preview stopped answering: is `make preview` still running?");
    return { ok: false };
  } finally {
    refresh();
  }
}

function toast(text) {
  const node = el("div", { className: "toast", textContent: text });
  $("toasts").append(node);
  setTimeout(() => node.remove(), 4000);
}

// -- text with Telegram's entities (offsets in UTF-16 code units, as JavaScript counts) --

const SAFE_URL = /^(https?:|tg:)/i;

function entityNode(entity, text) {
  switch (entity.type) {
    case "bold": return el("b");
    case "italic": return el("i");
    case "underline": return el("u");
    case "strikethrough": return el("s");
    case "spoiler": return el("span", { className: "spoiler" });
    case "code": return el("code");
    case "pre": return el("pre");
    case "blockquote": case "expandable_blockquote": return el("blockquote");
    case "bot_command": return el("span", { className: "command", onclick: () => send(text) });
    case "text_link": case "url": {
      const url = entity.type === "url" ? text : entity.url;
      return SAFE_URL.test(url) ? link(url) : el("span");
    }
    default: return el("span");
  }
}

function formatted(text, entities, start = 0, end = text.length) {
  const fragment = document.createDocumentFragment();
  const sorted = [...entities].sort((a, b) => a.offset - b.offset || b.length - a.length);
  let at = start;
  sorted.forEach((entity, index) => {
    const stop = entity.offset + entity.length;
    if (entity.offset < at || entity.length === 0) return;
    fragment.append(text.slice(at, entity.offset));
    const inside = sorted.filter(
      (other, j) => j !== index && other.offset >= entity.offset && other.offset + other.length <= stop,
    );
    const node = entityNode(entity, text.slice(entity.offset, stop));
    node.append(formatted(text, inside, entity.offset, stop));
    fragment.append(node);
    at = stop;
  });
  fragment.append(text.slice(at, end));
  return fragment;
}

// A link: one of the bot's invite links asks to join its chat; any other opens a new tab.
function link(url, label) {
  const node = el("a", { href: url, target: "_blank", rel: "noopener noreferrer" });
  if (label !== undefined) node.append(label);
  if (inviteLinks().has(url)) {
    node.addEventListener("click", (event) => { event.preventDefault(); join(url); });
  }
  return node;
}

function inviteLinks() {
  return new Set((page.state?.groups ?? []).flatMap((group) => group.invite_links));
}

// -- messages ---------------------------------------------------------------------------

function keyboard(message) {
  const rows = message.reply_markup?.inline_keyboard ?? [];
  const node = el("div", { className: "keyboard" });
  for (const row of rows) {
    node.append(el("div", { className: "row" }, ...row.map((button) => buttonNode(message, button))));
  }
  return node;
}

function buttonNode(message, button) {
  if (button.url) return link(button.url, button.text);
  if (button.callback_data) {
    return el("button", {
      textContent: button.text,
      onclick: () => post("press", { message_id: message.message_id, data: button.callback_data }),
    });
  }
  return el("button", { textContent: button.text, disabled: true, title: "Not in this preview" });
}

function invoiceNode(message) {
  const invoice = message.invoice;
  const outcome = page.state.payments[`${message.chat.id}:${message.message_id}`];
  const node = el("div", { className: "invoice" },
    el("div", { className: "title", textContent: invoice.title }),
    el("div", { textContent: invoice.description }),
    el("div", { className: "price", textContent: `${invoice.total_amount} ⭐` }),
  );
  const state = outcome?.state;
  const pay = el("button", {
    className: "pay",
    textContent: state === "paid" ? "Paid ✓" : `Pay ${invoice.total_amount} ⭐`,
    disabled: state === "paid" || state === "paying",
    onclick: () => post("pay", { message_id: message.message_id }),
  });
  node.append(el("div", { className: "keyboard" }, el("div", { className: "row" }, pay)));
  if (state === "paying") node.append(el("div", { className: "outcome", textContent: "Waiting for the bot…" }));
  if (state === "refused") node.append(el("div", { className: "outcome refused", textContent: outcome.error }));
  return node;
}

function messageNode(message, botId) {
  const mine = message.from.id !== botId;
  const node = el("div", { className: `message ${mine ? "mine" : "theirs"}` });
  node.dataset.messageId = message.message_id;
  if (message.successful_payment) {
    const paid = message.successful_payment;
    node.className = "message service";
    node.textContent = `You paid ${paid.total_amount} ⭐`;
    return node;
  }
  if (message.refunded_payment) {
    node.className = "message service";
    node.textContent = `${message.refunded_payment.total_amount} ⭐ came back to you`;
    return node;
  }
  if (message.invoice) {
    node.append(invoiceNode(message));
    return node;
  }
  if (message.document) node.append(el("div", { textContent: `📎 ${message.document.file_name ?? "a file"}` }));
  const text = message.text ?? message.caption ?? "";
  node.append(formatted(text, message.entities ?? message.caption_entities ?? []));
  if (message.reply_markup) node.append(keyboard(message));
  return node;
}

// -- the page ---------------------------------------------------------------------------

function renderPeople(state) {
  const people = $("people");
  people.replaceChildren(...state.users.map((user) => {
    const label = [`${user.name} · ${user.id}`];
    if (user.language_code) label.push(` · ${user.language_code}`);
    const button = el("button", { className: user.id === page.me ? "current" : "", onclick: () => choose(user.id) }, ...label);
    if (user.admin) button.append(el("span", { className: "badge", textContent: "admin" }));
    return el("li", {}, button);
  }));
}

function renderGroups(state) {
  const groups = state.groups.map((group) => {
    const node = el("div", { className: "group" }, el("h3", { textContent: `${group.title} (${group.type})` }));
    const members = group.members.map((m) => el("li", { textContent: `${m.name}: ${m.status}` }));
    node.append("Members", el("ul", {}, ...(members.length ? members : [el("li", { textContent: "nobody yet" })])));
    if (group.join_requests.length) {
      node.append("Join requests", el("ul", {}, ...group.join_requests.map(
        (r) => el("li", { textContent: `${r.name}: ${r.state}` }))));
    }
    if (group.bot_status !== "administrator") node.append(`The bot is ${group.bot_status} here.`);
    return node;
  });
  const none = el("p", { className: "hint", textContent: "None: the catalog's [keys.*] chats lists none." });
  $("groups").replaceChildren(...(groups.length ? groups : [none]));
}

function renderChat(state) {
  const box = $("messages");
  const atBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 40;
  const me = state.users.find((user) => user.id === page.me);
  $("chat-title").textContent = me
    ? `${state.bot.name} @${state.bot.username} — you are ${me.name}${me.admin ? " (admin)" : ""}`
    : "Pick who you are on the left";
  box.replaceChildren(...state.chat.map((message) => messageNode(message, state.botId)));
  if (atBottom) box.scrollTop = box.scrollHeight;
  for (const answer of state.answers) {
    if (!page.toasted.has(answer.id)) { page.toasted.add(answer.id); toast(answer.text); }
  }
}

async function refresh() {
  let text;
  try {
    const response = await fetch(`/preview/api/state?user=${page.me ?? 0}`);
    text = await response.text();
  } catch (error) {
    return;
  }
  if (text === page.last) return;
  page.last = text;
  page.state = JSON.parse(text);
  page.state.botId = page.state.bot.id;
  renderPeople(page.state);
  renderGroups(page.state);
  renderChat(page.state);
}

function choose(userId) {
  page.me = userId;
  location.hash = String(userId);
  page.last = "";
  refresh();
}

function send(text) {
  if (page.me === null) { toast("Pick who you are first (the list on the left)."); return; }
  post("send", { text });
}

function join(url) {
  post("join", { link: url }).then((answer) => {
    if (answer.ok) toast(`You asked to join ${answer.title}; the bot decides.`);
  });
}

$("composer").addEventListener("submit", (event) => {
  event.preventDefault();
  const text = $("text").value;
  if (!text.trim()) return;
  $("text").value = "";
  send(text);
});

$("new-person").addEventListener("submit", async (event) => {
  event.preventDefault();
  const answer = await post("users", { name: $("new-name").value, language_code: $("new-language").value });
  if (answer.ok) { $("new-name").value = ""; choose(answer.id); }
});

async function poll() {
  await refresh();
  setTimeout(poll, POLL_MS);
}
poll();
