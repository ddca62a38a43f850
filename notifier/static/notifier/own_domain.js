// While the reader types their address, show the warning for our own mail domains (the
// server shows it again after they submit, so the page needs none of this).
{
  const field = document.querySelector("input[data-own-domains]");
  const warning = document.getElementById("own-domain-warning");
  if (field && warning) {
    const domains = field.dataset.ownDomains.split(",").filter(Boolean);
    const check = () => {
      const domain = field.value.split("@").pop().trim().toLowerCase().replace(/\.+$/, "");
      const own = field.value.includes("@") && domains.some((d) => domain === d || domain.endsWith(`.${d}`));
      warning.hidden = !own;
    };
    field.addEventListener("input", check);
    check();
  }
}
