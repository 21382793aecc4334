// The browser softphone: Twilio's Voice SDK (served by the app), a token from the console,
// and the call controls (answer, reject, mute, hang up). Hold and escalation are on "My call".
(function () {
  "use strict";
  const card = document.getElementById("softphone");
  if (!card || !window.Twilio || !window.Twilio.Device) { return; }
  const status = card.querySelector("[data-softphone=status]");
  const buttons = {};
  for (const b of card.querySelectorAll("button[data-action]")) { buttons[b.dataset.action] = b; }
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  let device = null;
  let current = null;

  function show(text, ...enabled) {
    status.textContent = text;
    for (const [name, b] of Object.entries(buttons)) { b.disabled = !enabled.includes(name); }
  }

  async function token() {
    const reply = await fetch(card.dataset.tokenUrl, {method: "POST", headers: {"X-CSRFToken": csrf}});
    const body = await reply.json();
    if (!reply.ok) { throw new Error(body.error || "no token"); }
    return body.token;
  }

  function follow(call) {
    current = call;
    call.on("accept", () => show("On a call", "mute", "hangup"));
    call.on("disconnect", () => { current = null; show("Ready for calls"); });
    call.on("cancel", () => { current = null; show("Ready for calls"); });
  }

  async function start() {
    show("Connecting…");
    try {
      device = new window.Twilio.Device(await token(), {closeProtection: true});
    } catch (err) {
      show("Softphone unavailable: " + err.message);
      return;
    }
    device.on("registered", () => show("Ready for calls"));
    device.on("error", (err) => show("Softphone error: " + err.message));
    device.on("tokenWillExpire", async () => device.updateToken(await token()));
    device.on("incoming", (call) => { follow(call); show("Incoming call", "answer", "reject"); });
    device.register();
  }

  buttons.answer.addEventListener("click", () => current && current.accept());
  buttons.reject.addEventListener("click", () => { if (current) { current.reject(); } show("Ready for calls"); });
  buttons.mute.addEventListener("click", () => {
    if (!current) { return; }
    current.mute(!current.isMuted());
    buttons.mute.textContent = current.isMuted() ? "Unmute" : "Mute";
  });
  buttons.hangup.addEventListener("click", () => current && current.disconnect());
  start();
})();
