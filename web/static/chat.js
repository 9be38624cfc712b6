// 财富助手 chat page: choose a demo identity, send messages through /api/chat, render Rasa's REST messages
// (text with links, buttons, images, and custom "card" payloads). Plain DOM, no build step, no innerHTML.
"use strict";

const URL_PATTERN = /(https?:\/\/[^\s，。；、）)]+|\/p\/[A-Za-z0-9_-]+)/g;

async function api(method, path, body) {
  const response = await fetch(path, {
    method, headers: body ? {"Content-Type": "application/json"} : {},
    body: body ? JSON.stringify(body) : undefined, credentials: "same-origin",
  });
  let data = null;
  try { data = await response.json(); } catch (_) { /* 204 or not JSON */ }
  if (!response.ok) {
    const detail = data && typeof data.detail === "string" ? data.detail : `请求失败（${response.status}）`;
    throw new Error(detail);
  }
  return data;
}

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function safeUrl(url) {
  try {
    const parsed = new URL(url, window.location.href);
    return ["http:", "https:"].includes(parsed.protocol) ? parsed.href : null;
  } catch (_) { return null; }
}

// Text with its URLs turned into links that open in a new tab.
function linkified(text) {
  const fragment = document.createDocumentFragment();
  let last = 0;
  for (const match of text.matchAll(URL_PATTERN)) {
    fragment.append(text.slice(last, match.index));
    const href = safeUrl(match[0]);
    if (href) {
      const link = element("a", "", match[0]);
      link.href = href; link.target = "_blank"; link.rel = "noopener";
      fragment.append(link);
    } else {
      fragment.append(match[0]);
    }
    last = match.index + match[0].length;
  }
  fragment.append(text.slice(last));
  return fragment;
}

function card(payload) {
  const box = element("li", "card-msg");
  const image = payload.image || payload.picurl;
  if (image && safeUrl(image)) { const img = element("img"); img.src = safeUrl(image); img.alt = payload.title || ""; box.append(img); }
  const body = element("div", "card-body");
  body.append(element("h3", "", payload.title || ""));
  if (payload.description) { const p = element("p"); p.append(linkified(String(payload.description))); body.append(p); }
  box.append(body);
  const href = payload.url && safeUrl(payload.url);
  if (href) {
    const link = element("a", "card-link", payload.button_text || payload.btntxt || "查看详情");
    link.href = href; link.target = "_blank"; link.rel = "noopener";
    box.append(link);
  }
  return box;
}

function render(list, message, send) {
  if (message.text) { const li = element("li", "msg bot"); li.append(linkified(message.text)); list.append(li); }
  if (message.image && safeUrl(message.image)) {
    const li = element("li", "msg bot image"); const img = element("img"); img.src = safeUrl(message.image);
    img.alt = "图表"; li.append(img); list.append(li);
  }
  const custom = message.custom;
  if (custom && typeof custom === "object") {
    if (custom.type === "card" || custom.type === "textcard" || custom.type === "news") {
      const items = Array.isArray(custom.articles) ? custom.articles : [custom];
      for (const item of items) list.append(card(item));
    } else if (custom.type === "link" && safeUrl(custom.url)) {
      const li = element("li", "msg bot"); const a = element("a", "", custom.title || custom.url);
      a.href = safeUrl(custom.url); a.target = "_blank"; a.rel = "noopener"; li.append(a); list.append(li);
    } else if (typeof custom.text === "string") {
      const li = element("li", "msg bot"); li.append(linkified(custom.text)); list.append(li);
    }
  }
  if (Array.isArray(message.buttons) && message.buttons.length) {
    const row = element("li", "buttons");
    for (const button of message.buttons) {
      const b = element("button", "", button.title || button.payload);
      b.type = "button";
      b.addEventListener("click", () => send(button.payload || button.title, button.title || button.payload));
      row.append(b);
    }
    list.append(row);
  }
}

function startChat(chat) {
  const list = document.getElementById("messages");
  const form = document.getElementById("composer");
  const input = document.getElementById("input");
  const scroll = () => { list.scrollTop = list.scrollHeight; };

  async function send(payload, shown) {
    list.append(element("li", "msg user", shown || payload));
    const pending = element("li", "msg bot pending", "正在输入…");
    list.append(pending); scroll();
    try {
      const messages = await api("POST", "/api/chat", {message: payload});
      pending.remove();
      if (!messages.length) list.append(element("li", "msg bot hint-msg", "（助手没有回复）"));
      for (const message of messages) render(list, message, send);
    } catch (error) {
      pending.className = "msg failed"; pending.textContent = error.message;
    }
    scroll();
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    input.value = "";
    send(text);
  });
  input.focus();
  chat.dataset.ready = "1";
}

function startPicker(picker) {
  for (const button of picker.querySelectorAll("button.person")) {
    button.addEventListener("click", async () => {
      const body = button.dataset.guest ? {guest: true} : {sender_id: button.dataset.sender};
      try {
        await api("POST", "/api/session", body);
        window.location.assign("/");
      } catch (error) {
        const box = document.getElementById("picker-error");
        box.hidden = false; box.textContent = error.message;
      }
    });
  }
}

document.addEventListener("DOMContentLoaded", () => {
  const picker = document.getElementById("picker");
  if (picker) startPicker(picker);
  const chat = document.getElementById("chat");
  if (chat) startChat(chat);
  const switcher = document.getElementById("switch-identity");
  if (switcher) switcher.addEventListener("click", async () => {
    await api("DELETE", "/api/session");
    window.location.assign("/");
  });
});
