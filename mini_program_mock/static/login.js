// The mock platform login (dev only): asks the app to sign a citizen token, then hands it
// back to the page that sent the citizen here, in the URL fragment.
import { h } from "./ui.js";

const params = new URLSearchParams(location.search);
const status = document.getElementById("status");
const formError = document.getElementById("form-error");
const ERRORS = {
  INVALID_ID_NUMBER: "身份证号不正确，请核对后重新输入",
  BAD_INPUT: "请填写姓名；手机号只能包含数字",
  NO_SIGNING_KEY: "后端已配置为信任正式身份提供方的公钥，模拟登录无法签发令牌",
};

/** Only a page of this site (the pages send their full address, as the real platform needs
 * it): never send a token to another origin. */
function returnPath() {
  let target;
  try {
    target = new URL(params.get("return") || "/m/", location.origin);
  } catch {
    return "/m/";
  }
  return target.origin === location.origin ? target.pathname + target.search : "/m/";
}

async function signIn(identity, report) {
  report.className = "notice";
  report.textContent = "正在登录…";
  let response;
  try {
    response = await fetch("/mock-platform/token", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(identity),
    });
  } catch {
    report.className = "notice error";
    report.textContent = "网络不稳定，请重试";
    return;
  }
  const body = await response.json().catch(() => ({}));
  if (!response.ok || !body.token) {
    report.className = "notice error";
    report.textContent = ERRORS[body.error] || "登录未成功，请重试";
    return;
  }
  location.assign(`${returnPath()}#token=${encodeURIComponent(body.token)}`);
}

async function main() {
  const list = document.getElementById("citizens");
  let data;
  try {
    data = await (await fetch("/mock-platform/citizens")).json();
  } catch {
    status.className = "notice error";
    status.textContent = "网络不稳定，请刷新重试";
    return;
  }
  if (!data.canSign) {
    status.className = "notice error";
    status.textContent = ERRORS.NO_SIGNING_KEY;
    for (const button of document.querySelectorAll("button")) {
      button.disabled = true;
    }
    return;
  }
  for (const person of data.citizens) {
    list.append(
      h(
        "li",
        {},
        h(
          "button",
          { type: "button", className: "case", onClick: () => signIn(person, status) },
          h("strong", { text: person.name }),
          h("span", { className: "meta", text: `身份证号 ${person.idNumber}` }),
        ),
      ),
    );
  }
  document.getElementById("login-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const form = new FormData(event.target);
    signIn(
      {
        name: String(form.get("name") || "").trim(),
        idNumber: String(form.get("idNumber") || "").trim(),
        phone: String(form.get("phone") || "").trim(),
      },
      formError,
    );
  });
}

main();
