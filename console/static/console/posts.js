// Suggest a post's address from its title until the editor types one of their own.
(() => {
  const title = document.querySelector("[data-slug-source]");
  const slug = document.querySelector("[data-slug-target]");
  if (!title || !slug) return;
  const slugify = (text) =>
    text.normalize("NFKD").replace(/[\u0300-\u036f]/g, "").toLowerCase()
      .replace(/[^a-z0-9\s_-]/g, "").trim().replace(/[\s_-]+/g, "-").slice(0, 200);
  let suggested = slug.value === "" || slug.value === slugify(title.value);
  slug.addEventListener("input", () => { suggested = slug.value === ""; });
  title.addEventListener("input", () => { if (suggested) slug.value = slugify(title.value); });
})();
