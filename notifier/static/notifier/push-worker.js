// The service worker of "Notify me in this browser": shows each push, opens its page on a click.
"use strict";

self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));

self.addEventListener("push", (event) => {
  let message = {};
  try {
    message = event.data ? event.data.json() : {};
  } catch (error) {
    message = { body: event.data.text() };
  }
  const options = {
    body: message.body || "",
    data: { url: message.url || "/", manage: message.manage || "" },
  };
  if (message.tag) {
    // One notification per incident: an update replaces the one before and alerts again.
    options.tag = message.tag;
    options.renotify = true;
  }
  event.waitUntil(self.registration.showNotification(message.title || "Status update", options));
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const target = new URL(event.notification.data.url || "/", self.location.origin).href;
  event.waitUntil(
    self.clients.matchAll({ type: "window", includeUncontrolled: true }).then((windows) => {
      const open = windows.find((client) => client.url === target && "focus" in client);
      return open ? open.focus() : self.clients.openWindow(target);
    })
  );
});

// The browser replaced this site's subscription (it expired, or the push service rotated it):
// subscribe again with the same server key and tell the site, proving the old subscription was
// ours with its endpoint and auth secret, which only this browser knows. Without the old
// subscription there is no proof; the reader subscribes again on the page.
// Headless browsers cannot be made to fire this event, so tests/notifier/test_push_renew.py
// posts what it posts instead.
async function renewSubscription(event) {
  const old = event.oldSubscription;
  if (!old) return;
  const oldJson = old.toJSON();
  if (!oldJson.keys || !oldJson.keys.auth) return;
  let subscription = event.newSubscription;
  if (!subscription) {
    const key = (old.options && old.options.applicationServerKey) || (await serverKey());
    if (!key) return;
    subscription = await self.registration.pushManager.subscribe({
      userVisibleOnly: true,
      applicationServerKey: key,
    });
  }
  const json = subscription.toJSON();
  await fetch("/subscribe/push/renew/", {
    method: "POST",
    credentials: "omit",
    body: new URLSearchParams({
      old_endpoint: oldJson.endpoint,
      old_auth: oldJson.keys.auth,
      endpoint: json.endpoint,
      p256dh: json.keys.p256dh,
      auth: json.keys.auth,
    }),
  });
}

// The key the subscribe page carries in its data-key, when the old subscription does not say.
async function serverKey() {
  const page = await fetch("/subscribe/push/", { credentials: "omit" });
  const found = /data-key="([A-Za-z0-9_-]+)"/.exec(await page.text());
  if (!found) return null;
  const base64 = found[1].replace(/-/g, "+").replace(/_/g, "/");
  const text = atob(base64 + "=".repeat((4 - (base64.length % 4)) % 4));
  return Uint8Array.from(text, (c) => c.charCodeAt(0));
}

self.addEventListener("pushsubscriptionchange", (event) => {
  event.waitUntil(renewSubscription(event));
});
