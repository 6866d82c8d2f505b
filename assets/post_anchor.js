// A link to one post (/c/slug/t/id#post-N: a search result, a notification) scrolls to it
// once it is on the page. Threads render after their data arrives over the socket, later
// than the browser's own jump to the anchor, so each new #post-N is looked for on every
// DOM change until found, then left alone (the reader may scroll away).
(() => {
  let done = "";
  const seek = () => {
    const hash = window.location.hash;
    if (!/^#post-\d+$/.test(hash)) return;
    const key = window.location.pathname + hash;
    if (key === done) return;
    const target = document.getElementById(hash.slice(1));
    if (!target) return;
    done = key;
    target.scrollIntoView({ block: "start" });
  };
  new MutationObserver(seek).observe(document.documentElement, {
    childList: true,
    subtree: true,
  });
  window.addEventListener("hashchange", seek);
})();
