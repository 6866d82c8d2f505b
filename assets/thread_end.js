// Scroll-aware "N new replies" banner (issue 3), with no server round trip per scroll.
// While the end of a thread (#thread-end) is in the viewport the reader already sees the
// newest replies, so <html data-thread-end="visible"> tells CSS to hide the banner. The app
// is a single-page app: the sentinel comes and goes as threads open, so it is re-found on
// every DOM change and the observer follows it.
(() => {
  if (!("IntersectionObserver" in window)) return; // the banner then always shows
  const root = document.documentElement;
  let watched = null;

  /** Mark whether the reader sees the end of the thread; leaving it after new replies
   * arrived there marks them read (the hidden #thread-seen button exists only then). */
  const mark = (visible) => {
    const was = root.dataset.threadEnd === "visible";
    if (visible) root.dataset.threadEnd = "visible";
    else delete root.dataset.threadEnd;
    if (was && !visible && watched) document.getElementById("thread-seen")?.click();
  };

  const observer = new IntersectionObserver((entries) => {
    for (const entry of entries) {
      if (entry.target === watched) mark(entry.isIntersecting);
    }
  });

  /** Observe the current #thread-end, if it changed (a new thread, or none). */
  const follow = () => {
    const end = document.getElementById("thread-end");
    if (end === watched) return;
    if (watched) observer.unobserve(watched);
    watched = end;
    if (end) observer.observe(end);
    else mark(false);
  };

  const start = () => {
    follow();
    new MutationObserver(follow).observe(document.body, { childList: true, subtree: true });
  };
  if (document.body) start();
  else document.addEventListener("DOMContentLoaded", start);
})();
