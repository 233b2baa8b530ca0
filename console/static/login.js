// The mock staff login (dev only): the app signs a token for one of the demo staff, which
// this tab keeps, and the console opens.
import { keepToken } from "./session.js";
import { h } from "./ui.js";

const status = document.getElementById("status");
const ERRORS = {
  NO_SIGNING_KEY: "后端已配置为信任正式身份提供方的公钥，模拟登录无法签发令牌",
  BAD_INPUT: "没有这位演示工作人员，请刷新后重试",
};

function report(text) {
  status.className = "notice error";
  status.textContent = text;
}

async function signIn(person) {
  status.className = "notice";
  status.textContent = "正在登录…";
  let response;
  try {
    response = await fetch("/console/mock-token", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ sub: person.sub }),
    });
  } catch {
    report("网络不稳定，请重试");
    return;
  }
  const body = await response.json().catch(() => ({}));
  if (!response.ok || !body.token) {
    report(ERRORS[body.error] || "登录未成功，请重试");
    return;
  }
  keepToken(body.token);
  location.assign("/console/");
}

async function main() {
  let data;
  try {
    data = await (await fetch("/console/mock-staff")).json();
  } catch {
    report("网络不稳定，请刷新重试");
    return;
  }
  if (!data.canSign) {
    report(ERRORS.NO_SIGNING_KEY);
    return;
  }
  const list = document.getElementById("staff");
  for (const person of data.staff) {
    list.append(
      h(
        "li",
        {},
        h(
          "button",
          { type: "button", className: "choice-button", onClick: () => signIn(person) },
          h("strong", { text: person.name }),
          h("span", { className: "meta", text: person.title }),
        ),
      ),
    );
  }
}

main();
