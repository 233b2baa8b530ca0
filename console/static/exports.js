// 数据导出: the ratings or the work items of a period as an Excel workbook or a CSV file, with
// the rows the viewer may see (an area admin their region and below, a department's handler
// their department). The file is fetched with the staff token (a plain link could not send
// it) and saved from a blob. It holds no personal data of applicants or raters.
import { exportFile } from "./api.js";
import { field, focusHeading, h, radios, statusLine, todayInBeijing } from "./ui.js";

const KINDS = [
  ["ratings", "评价记录"],
  ["work-items", "差评工单"],
];
const FORMATS = [
  ["xlsx", "Excel 工作簿（.xlsx）"],
  ["csv", "CSV 文件（.csv，UTF-8）"],
];
// The browser reads the blob after the click that saves it returns; freed a while later.
const REVOKE_AFTER_MS = 60 * 1000;

function dateInput(id, value) {
  return h("input", { type: "date", id, name: id, value, required: true });
}

/** Save a fetched file ({ blob, name }, as exportFile gives it) as the browser's download. */
export function save({ blob, name }) {
  const url = URL.createObjectURL(blob);
  const link = h("a", { href: url, download: name, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), REVOKE_AFTER_MS);
}

function chosenPath(form) {
  const value = (name) => form.querySelector(`[name="${name}"]:checked`).value;
  const query = new URLSearchParams({
    from: form.querySelector("#export-from").value,
    to: form.querySelector("#export-to").value,
  });
  const region = form.querySelector("#export-region");
  if (region && region.value.trim()) {
    query.set("region", region.value.trim());
  }
  return `/console/export/${value("kind")}.${value("format")}?${query}`;
}

/** The export form for `viewer`; an area admin may narrow it to a region of theirs. */
export function renderExports(container, viewer) {
  const status = statusLine();
  const now = todayInBeijing();
  const button = h("button", { type: "submit", className: "primary" }, "导出并下载");
  const admin = viewer.role === "area_admin";
  const form = h(
    "form",
    { className: "card", "aria-label": "导出数据" },
    radios("导出内容", "kind", KINDS),
    field("开始日期", dateInput("export-from", `${now.slice(0, 8)}01`)),
    field("结束日期", dateInput("export-to", now)),
    admin &&
      field(
        `区划编码（选填；不填为本人所辖全部区划 ${viewer.regionCode || ""}）`,
        h("input", { type: "text", id: "export-region", inputmode: "numeric", maxlength: 12 }),
      ),
    radios("文件格式", "format", FORMATS),
    button,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (form.querySelector("#export-from").value > form.querySelector("#export-to").value) {
      status.fail({ apiMessage: "开始日期不能晚于结束日期" });
      return;
    }
    button.disabled = true;
    status.busy("正在生成文件，数据较多时需要几分钟…");
    try {
      save(await exportFile(chosenPath(form)));
      status.done("文件已生成，请在浏览器的下载中查看");
    } catch (error) {
      status.fail(error);
    } finally {
      button.disabled = false;
    }
  });
  container.replaceChildren(
    h("h2", { text: "数据导出" }),
    h("p", {
      className: "hint",
      text: "日期按北京时间计算，含开始和结束当日：评价记录按评价时间，差评工单按生成时间。导出的文件不含申请人和评价人的个人信息。",
    }),
    form,
    status.node,
  );
  focusHeading(container);
}
