// The teller's badge (挂牌上岗) on customer screens: name, staff number, star level.
// `teller` is the JSON the server sends ({name, staff_no, stars, level: {zh, en}} or null).
import { lang } from "./common.js";

export function renderBadge(node, teller) {
  if (!node) return;
  node.hidden = !teller;
  if (!teller) return;
  node.querySelector("[data-badge-name]").textContent = teller.name;
  node.querySelector("[data-badge-no]").textContent = teller.staff_no || "";
  const numberLine = node.querySelector("[data-badge-no-line]");
  if (numberLine) numberLine.hidden = !teller.staff_no; // no staff number given: none shown
  const level = node.querySelector("[data-badge-level]");
  level.hidden = !teller.level;
  node.querySelector("[data-badge-stars]").textContent = "★".repeat(teller.stars || 0);
  node.querySelector("[data-badge-level-name]").textContent = teller.level ? (lang === "en" ? teller.level.en : teller.level.zh) : "";
}
