// The console's little bit of JavaScript: CSRF-protected posts and polling (no libraries).
"use strict";

function csrfToken() {
  return document.querySelector('meta[name="csrf-token"]').content;
}

async function postJSON(url, data) {
  const response = await fetch(url, {
    method: "POST",
    headers: {"Content-Type": "application/json", "X-CSRFToken": csrfToken()},
    body: JSON.stringify(data || {}),
  });
  if (!response.ok) {
    throw new Error(url + " answered " + response.status);
  }
  return response.json();
}

// Call render(json) with url's JSON now and every `ms` milliseconds.
function poll(url, render, ms) {
  async function tick() {
    try {
      const response = await fetch(url, {headers: {"X-Console-Poll": "1"}});
      if (response.redirected || response.status === 401) {
        window.location.reload();  // the session expired
        return;
      }
      if (response.ok) {
        render(await response.json());
      }
    } catch (err) {
      console.warn(err);
    }
    window.setTimeout(tick, ms);
  }
  tick();
}

function el(tag, text, cls) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = text;
  if (cls) node.className = cls;
  return node;
}

function minutesSeconds(seconds) {
  const s = Math.max(0, Math.round(seconds));
  return Math.floor(s / 60) + ":" + String(s % 60).padStart(2, "0");
}
