// Filterlab's service worker: the page opens and trains again without a network after one visit.
// Network first (an online visit always gets the current site), falling back to this build's
// cache when the network is gone. The cache holds the page's files (cached on install) and what
// the page says it used once its data was ready (its worker build and the MNIST files it
// fetched: a message from the page, see app/web/src/offline.rs); nothing else is downloaded for
// it. BUILD is replaced with a hash of the build's files when Trunk builds (Trunk.toml's hook), so
// a new site installs a new cache and the old one is deleted.
"use strict";
const BUILD = "__FILTERLAB_BUILD__";
const CACHE = `filterlab-${BUILD}`;
const SHELL = ["./", "app_loader.js", "app.js", "app_bg.wasm", "style.css", "worker_loader.js"];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  const old = (key) => key.startsWith("filterlab-") && key !== CACHE;
  event.waitUntil(
    caches.keys().then((keys) => Promise.all(keys.filter(old).map((key) => caches.delete(key)))).then(() => self.clients.claim()),
  );
});

// The page's list of files it used: kept unless already here.
self.addEventListener("message", (event) => {
  if (!Array.isArray(event.data)) return;
  event.waitUntil(
    caches.open(CACHE).then((cache) =>
      Promise.all(event.data.map((url) => cache.match(url).then((hit) => hit || cache.add(url).catch(() => {})))),
    ),
  );
});

// Online, the network answers as if there were no service worker (this build's files never
// change, and a new build brings a new cache); offline, the cache does.
self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET" || new URL(request.url).origin !== self.location.origin) return;
  event.respondWith(
    fetch(request).catch((offline) =>
      caches.open(CACHE).then((cache) => cache.match(request, { ignoreSearch: true })).then((kept) => kept || Promise.reject(offline)),
    ),
  );
});
