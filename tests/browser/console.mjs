// The operator's whole ledger workflow in the console, in headless Debian chromium driven by
// Playwright's driver. Run by crates/daicho-collector/tests/lan_console.rs against a collector
// fed by a real scan of the test LAN; it exits non-zero at the first step that does not hold.
//
// Environment: DAICHO_URL (http://127.0.0.1:PORT), DAICHO_USER, DAICHO_PASSWORD,
// DAICHO_IMPORT_FILE (an XLSX hand-kept ledger with a 納品日 column, a header the importer does
// not know), DAICHO_ARTEFACTS (where
// screenshots and downloads are kept), DAICHO_HOSTILE (a host name containing HTML that a
// hostile report put in the ledger).

import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";

const base = process.env.DAICHO_URL;
const user = process.env.DAICHO_USER;
const password = process.env.DAICHO_PASSWORD;
const artefacts = process.env.DAICHO_ARTEFACTS;
const importFile = process.env.DAICHO_IMPORT_FILE;
const hostile = process.env.DAICHO_HOSTILE;
for (const [k, v] of Object.entries({ base, user, password, artefacts, importFile, hostile })) {
  assert.ok(v, `missing environment for ${k}`);
}
mkdirSync(artefacts, { recursive: true });

let shot = 0;
async function screenshot(page, name) {
  shot += 1;
  const file = join(artefacts, `${String(shot).padStart(2, "0")}-${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  console.log(`screenshot ${file}`);
}

function step(text) {
  console.log(`== ${text}`);
}

// Submits a form by clicking `button` and waits for the page it leads to.
async function submit(page, button) {
  await Promise.all([page.waitForNavigation(), button.click()]);
}

async function answer(page, item) {
  return (await page.locator(`.answer-card[data-item="${item}"] .answer`).innerText()).trim();
}

const profile = mkdtempSync(join(tmpdir(), "daicho-chromium-"));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: "/usr/bin/chromium",
  headless: true,
  viewport: { width: 1366, height: 768 },
  locale: "ja-JP",
  acceptDownloads: true,
  args: [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
  ],
});
const page = context.pages()[0] ?? (await context.newPage());
// Any script a device string managed to inject would open a dialog: fail on the first.
page.on("dialog", async (d) => {
  console.error(`a dialog opened: ${d.message()}`);
  process.exit(3);
});
const errors = [];
page.on("pageerror", (e) => errors.push(String(e)));

try {
  step("log in");
  await page.goto(`${base}/`);
  assert.match(page.url(), /\/login\?next=/, "an anonymous visitor is sent to the login page");
  await screenshot(page, "login");
  await page.fill("#username", user);
  await page.fill("#password", password);
  await submit(page, page.locator("form[action='/login'] button[type=submit]"));
  assert.equal(new URL(page.url()).pathname, "/");

  step("find the unregistered devices on the dashboard");
  const unregistered = Number(await page.locator("#count-unregistered .count").innerText());
  assert.ok(unregistered > 0, "the scan found devices nobody registered");
  const ledgerBefore = await answer(page, "2-①");
  const servicesBefore = await answer(page, "2-⑫");
  assert.equal(ledgerBefore, "いいえ");
  console.log(`unregistered ${unregistered}, 2-① ${ledgerBefore}, 2-⑫ ${servicesBefore}`);
  await screenshot(page, "dashboard-before");

  step("device-supplied HTML is shown as text");
  await page.goto(`${base}/devices?q=${encodeURIComponent("onerror")}`);
  const cellText = await page.locator("#devices tbody").innerText();
  assert.ok(cellText.includes(hostile), "the hostile host name is shown literally");
  assert.equal(await page.locator("#devices tbody img").count(), 0, "no element was injected");
  await screenshot(page, "devices-hostile");

  step("triage: phones with randomized MACs are personal devices");
  await page.goto(`${base}/`);
  await page.locator("#count-unregistered").click();
  await page.waitForURL(/\/triage/);
  await screenshot(page, "triage");
  for (;;) {
    const card = page.locator(".triage-card", { hasText: "ランダムMAC" }).first();
    if ((await card.count()) === 0) break;
    await submit(page, card.locator("button[value=personal]"));
    assert.match(await page.locator(".flash").innerText(), /私物として記録しました/);
  }

  step("triage: register every other device at once");
  const cards = page.locator(".triage-card");
  const n = await cards.count();
  assert.ok(n > 0, "devices left to register");
  for (let i = 0; i < n; i++) {
    const card = cards.nth(i);
    const id = await card.locator("input[name=id]").getAttribute("value");
    const fill = async (field, value) => {
      const input = card.locator(`#${field}_${id}`);
      if ((await input.inputValue()).trim() === "") await input.fill(value);
    };
    await card.locator(`#asset_no_${id}`).fill(`LAN-${id.padStart(4, "0")}`);
    await fill("maker", "院内機器");
    await fill("os", "組込みOS");
    await fill("computer_name", `device-${id}`);
    await fill("location", "サーバ室");
    await fill("user", "情報システム担当");
  }
  await screenshot(page, "triage-filled");
  await submit(page, page.locator("#register-selected"));
  assert.match(await page.locator(".flash").innerText(), /台を台帳に登録しました/);

  step("the dashboard's 2-① answer changed");
  await page.goto(`${base}/`);
  assert.equal(Number(await page.locator("#count-unregistered .count").innerText()), 0);
  assert.equal(await answer(page, "2-①"), "はい", "every device on the LAN is in the ledger");
  await screenshot(page, "dashboard-registered");

  step("record exceptions for the services that stay, and watch 2-⑫");
  assert.equal(servicesBefore, "いいえ", "the LAN runs services the policy calls unneeded");
  await page.goto(`${base}/devices?view=services&per=200`);
  await screenshot(page, "devices-unneeded-services");
  const links = await page.locator("#devices tbody tr td:first-child a").evaluateAll((as) =>
    as.map((a) => a.getAttribute("href")),
  );
  assert.ok(links.length > 0);
  for (const href of links) {
    await page.goto(`${base}${href}`);
    const codes = await page
      .locator("tr:has(.flag.unneeded_service) td:first-child .evidence")
      .allInnerTexts();
    for (const code of codes) {
      await page.fill("#ex-service", code.trim());
      await page.fill("#ex-reason", "保守事業者が遠隔保守に使用（契約書 第5条）");
      await page.fill("#ex-approver", "情報システム委員会");
      await submit(page, page.locator("#exception-form button[type=submit]"));
      assert.match(await page.locator(".flash").innerText(), /例外/);
    }
  }
  await screenshot(page, "device-with-exceptions");
  await page.goto(`${base}/`);
  assert.equal(await answer(page, "2-⑫"), "はい", "every unneeded service is stopped or excepted");
  await screenshot(page, "dashboard-exceptions");

  step("acknowledge an alert");
  await page.goto(`${base}/alerts`);
  await screenshot(page, "alerts");
  const ack = page.locator("form[action$='/ack'] button[type=submit]").first();
  assert.ok((await ack.count()) > 0, "the scan raised alerts");
  await submit(page, ack);
  assert.match(await page.locator(".flash").innerText(), /確認/);
  await screenshot(page, "alerts-acknowledged");

  step("import a hand-kept ledger with a mapped column");
  await page.goto(`${base}/import`);
  await screenshot(page, "import");
  await page.setInputFiles("input[type=file][name=file]", importFile);
  await submit(page, page.locator("form[enctype='multipart/form-data'] button[type=submit]"));
  await screenshot(page, "import-dry-run");
  const mapping = page.locator("#mapping-form select[aria-label^='納品日']");
  assert.equal(await mapping.count(), 1, "the unknown 納品日 column is offered for mapping");
  await mapping.selectOption({ label: "登録日" });
  await submit(page, page.locator("#mapping-form button[type=submit]"));
  await screenshot(page, "import-mapped");
  await submit(page, page.locator("#apply-form button[type=submit]"));
  await screenshot(page, "import-applied");
  assert.match(await page.locator("main").innerText(), /取り込みました/);

  step("filter the list as one types (htmx, no page load), then download it and the checklist");
  await page.goto(`${base}/devices`);
  const allCount = await page.locator("#device-count").innerText();
  let reloaded = false;
  page.once("load", () => (reloaded = true));
  await page.locator("input[name=location]").fill("サーバ室");
  await page.waitForURL(/location=/);
  await page.waitForFunction((before) => document.querySelector("#device-count").innerText !== before, allCount);
  assert.equal(reloaded, false, "the rows were replaced in place");
  const filtered = Number((await page.locator("#device-count").innerText()).match(/(\d+) 台中/)[1]);
  await screenshot(page, "devices-filtered");
  // The download links sit in the replaced count line, so they follow the filter.
  const xlsxHref = await page.locator("a", { hasText: "Excel（XLSX）" }).getAttribute("href");
  const xlsx = await page.request.get(`${base}${xlsxHref.replaceAll("&amp;", "&")}`);
  assert.equal(xlsx.status(), 200);
  assert.match(xlsx.headers()["content-type"], /spreadsheetml/);
  writeFileSync(join(artefacts, "ledger-filtered.xlsx"), await xlsx.body());
  const csvHref = await page.locator("a", { hasText: "CSV（UTF-8）" }).getAttribute("href");
  const csv = await (await page.request.get(`${base}${csvHref}`)).text();
  writeFileSync(join(artefacts, "ledger-filtered.csv"), csv);
  // The header, then one line per filtered device (no field here spans lines).
  const dataLines = csv.trim().split("\n").filter((l) => l.includes("サーバ室"));
  assert.equal(dataLines.length, filtered, "the CSV holds exactly the filtered rows");
  await page.goto(`${base}/checklist`);
  await screenshot(page, "checklist");
  for (const format of ["xlsx", "html"]) {
    const r = await page.request.get(`${base}/checklist/download?format=${format}`);
    assert.equal(r.status(), 200, `checklist ${format}`);
    writeFileSync(join(artefacts, `checklist.${format}`), await r.body());
  }
  await page.emulateMedia({ media: "print" });
  await screenshot(page, "checklist-print");
  await page.emulateMedia({ media: "screen" });

  step("2-②: a remote-maintenance path confirmed from the page, the vendor's sheet downloaded");
  await page.goto(`${base}/remote-maintenance`);
  await screenshot(page, "remote-maintenance");
  const pathDevice = (await page.locator("#remote-register tbody tr td a").first().innerText()).trim();
  await page.fill("#rm-device", pathDevice);
  await page.fill("#rm-vendor", "B社");
  await page.selectOption("#rm-remote", "yes");
  await page.fill("#rm-method", "SSL-VPN");
  await page.fill("#rm-who", "B社 保守課 佐藤");
  await page.fill("#rm-on", new Date().toISOString().slice(0, 10));
  await submit(page, page.locator("#remote-form button[type=submit]"));
  assert.match(await page.locator("#remote-register").innerText(), /確認済み/);
  const sheetHref = await page.locator("#vendor-sheets a").first().getAttribute("href");
  const sheet = await page.request.get(`${base}${sheetHref}`);
  assert.equal(sheet.status(), 200, "the vendor's confirmation request");
  assert.match(sheet.headers()["content-type"], /spreadsheetml/);
  writeFileSync(join(artefacts, "vendor-confirmation.xlsx"), await sheet.body());
  await screenshot(page, "remote-maintenance-recorded");
  await page.goto(`${base}/devices/${pathDevice.replace("#", "")}`);
  assert.match(await page.locator("#remote-maintenance").innerText(), /B社・あり（SSL-VPN） B社 保守課 佐藤 \d{4}-\d{2}-\d{2} 確認/);

  step("the network diagram (BCP 1-1): inline SVG from the menu, downloads, print");
  await submit(page, page.locator("nav.main a", { hasText: "ネットワーク構成図" }));
  const diagram = page.locator("figure.network-diagram svg");
  assert.equal(await diagram.count(), 1, "the drawing is inline");
  const drawn = await diagram.textContent();
  assert.match(drawn, /198\.18\.0\.0\/24/, "the LAN's subnet is drawn");
  assert.match(drawn, /医療機関名：テスト総合病院/, "the title block names the facility");
  assert.equal(await page.locator("figure.network-diagram img").count(), 0, "device text stays text");
  await screenshot(page, "network-diagram");
  for (const [format, type, magic] of [["svg", /image\/svg\+xml/, "<?xml"], ["pdf", /application\/pdf/, "%PDF-"]]) {
    const href = await page.locator("a", { hasText: `${format.toUpperCase()} でダウンロード` }).getAttribute("href");
    const r = await page.request.get(`${base}${href}`);
    assert.equal(r.status(), 200, `diagram ${format}`);
    assert.match(r.headers()["content-type"], type);
    const body = await r.body();
    assert.equal(body.subarray(0, magic.length).toString(), magic, `a ${format} file`);
    writeFileSync(join(artefacts, `network-diagram.${format}`), body);
  }
  await page.emulateMedia({ media: "print" });
  await screenshot(page, "network-diagram-print");
  // Printed as the browser prints it, on the page size the style sheet asks for (A3 landscape);
  // lan_console.rs checks it is one page.
  await page.pdf({ path: join(artefacts, "network-diagram-printed.pdf"), preferCSSPageSize: true, printBackground: true });
  await page.emulateMedia({ media: "screen" });
  await page.goto(`${base}/network-diagram?paper=a4`);
  assert.equal(await page.locator("figure.network-diagram.sheet-a4 svg").count(), 1, "A4 chosen");

  step("the other pages render");
  for (const [path, name] of [
    ["/exceptions", "exceptions"],
    ["/allowlist", "allowlist"],
    ["/audit", "audit"],
    ["/admin", "admin"],
  ]) {
    const r = await page.goto(`${base}${path}`);
    assert.equal(r.status(), 200, path);
    await screenshot(page, name);
    if (path === "/audit") {
      assert.match(await page.locator("main").innerText(), /台帳に登録/, "decisions are audited");
    }
  }

  step("log out");
  await page.goto(`${base}/`);
  await submit(page, page.locator("form[action='/logout'] button"));
  assert.match(page.url(), /\/login/);
  await page.goto(`${base}/devices`);
  assert.match(page.url(), /\/login\?next=/, "after logout the ledger needs a login again");
  await screenshot(page, "logged-out");

  assert.deepEqual(errors, [], "no script error on any page");
  console.log("console walk: ok");
} catch (e) {
  await screenshot(page, "failure").catch(() => {});
  console.error(`at ${page.url()}: ${e.stack ?? e}`);
  process.exitCode = 1;
} finally {
  await context.close();
}
