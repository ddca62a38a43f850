// "Notify me in this browser": registers the service worker, asks the browser for a push
// subscription and posts it with the chosen services; "Stop" unsubscribes and tells us.
(function () {
  "use strict";
  const subscribeForm = document.getElementById("push-subscribe");
  const stopForm = document.getElementById("push-stop");
  const status = document.getElementById("push-status");
  const holder = subscribeForm || stopForm;
  if (!holder) return;

  function say(text) {
    if (status) status.textContent = text;
  }

  // The page renders each message in its own language (#push-messages, data-*); English if not.
  const rendered = (document.getElementById("push-messages") || { dataset: {} }).dataset;
  function words(name, english) {
    return rendered[name] || english;
  }

  function bytesOf(base64url) {
    const base64 = base64url.replace(/-/g, "+").replace(/_/g, "/");
    const text = atob(base64 + "=".repeat((4 - (base64.length % 4)) % 4));
    return Uint8Array.from(text, (c) => c.charCodeAt(0));
  }

  function sameKey(buffer, expected) {
    if (!buffer) return false;
    const given = new Uint8Array(buffer);
    return given.length === expected.length && given.every((b, i) => b === expected[i]);
  }

  if (!("serviceWorker" in navigator) || !("PushManager" in window) || !window.isSecureContext) {
    say(
      words(
        "unsupported",
        "This browser cannot receive push notifications from this site (it offers no Push API " +
          "here), so this way is not available in it. Email or a feed can reach you instead."
      )
    );
    return;
  }

  const ready = navigator.serviceWorker
    .register(holder.dataset.worker, { scope: "/" })
    .then(() => navigator.serviceWorker.ready);

  ready
    .then((registration) => registration.pushManager.getSubscription())
    .then((subscription) => {
      if (subscription && stopForm) stopForm.hidden = false;
      if (subscribeForm) {
        subscribeForm.querySelector("button[type=submit]").hidden = false;
        say(
          subscription
            ? words(
                "already",
                "This browser may already be notified; subscribing again sets the services anew."
              )
            : words(
                "choose",
                "Choose the services, then allow notifications when the browser asks."
              )
        );
      }
    })
    .catch((error) =>
      say(
        words("cannotSetUp", "Notifications cannot be set up in this browser:") +
          " " +
          error.message
      )
    );

  if (subscribeForm) {
    subscribeForm.addEventListener("submit", async (event) => {
      event.preventDefault();
      const button = subscribeForm.querySelector("button[type=submit]");
      button.disabled = true;
      say(words("asking", "Asking the browser for permission…"));
      try {
        const registration = await ready;
        const key = bytesOf(subscribeForm.dataset.key);
        const old = await registration.pushManager.getSubscription();
        if (old && !sameKey(old.options && old.options.applicationServerKey, key)) {
          await old.unsubscribe(); // made for another key: the browser would refuse a second
        }
        const subscription = await registration.pushManager.subscribe({
          userVisibleOnly: true,
          applicationServerKey: key,
        });
        const json = subscription.toJSON();
        subscribeForm.elements.endpoint.value = json.endpoint;
        subscribeForm.elements.p256dh.value = json.keys.p256dh;
        subscribeForm.elements.auth.value = json.keys.auth;
        say(words("saving", "Saving…"));
        subscribeForm.submit();
      } catch (error) {
        button.disabled = false;
        say(
          error.name === "NotAllowedError"
            ? words(
                "blocked",
                "Notifications are blocked for this site in this browser. Allow them in the " +
                  "browser's settings for this site, then try again."
              )
            : words("couldNotSubscribe", "The browser could not subscribe:") + " " + error.message
        );
      }
    });
  }

  if (stopForm) {
    stopForm.addEventListener("submit", async (event) => {
      event.preventDefault();
      try {
        const registration = await ready;
        const subscription = await registration.pushManager.getSubscription();
        if (!subscription) {
          say(words("nothingToStop", "This browser has no notifications from this site to stop."));
          stopForm.hidden = true;
          return;
        }
        const json = subscription.toJSON();
        stopForm.elements.endpoint.value = json.endpoint;
        stopForm.elements.auth.value = json.keys.auth;
        await subscription.unsubscribe();
        stopForm.submit();
      } catch (error) {
        say(words("couldNotStop", "Could not stop the notifications:") + " " + error.message);
      }
    });
  }
})();
