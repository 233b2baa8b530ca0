// /qr/{windowCode}/poster: the printable poster of a window's static QR code.
import { gql } from "./api.js";
import { messageFor } from "./messages.js";

const WINDOW = `query Window($code: String!) {
  windowInfo(code: $code) { code name hallName department { name } }
}`;
const code = decodeURIComponent(location.pathname.split("/")[2] || "");

async function main() {
  document.getElementById("print").addEventListener("click", () => window.print());
  const qr = document.getElementById("poster-qr");
  qr.alt = "本窗口的评价二维码";
  qr.src = `/qr/${encodeURIComponent(code)}.svg`;
  try {
    const { windowInfo: info } = await gql(WINDOW, { code }, { withDevice: false });
    document.title = `${info.name} - 评价二维码`;
    document.getElementById("poster-hall").textContent = info.hallName || "";
    document.getElementById("poster-window").textContent = info.name;
    document.getElementById("poster-department").textContent = info.department.name;
  } catch (error) {
    document.getElementById("poster-error").textContent = messageFor(error.code);
  }
}

main();
