// A small graphql-transport-ws client for one subscription: connection_init with the
// caller's credentials, subscribe, answer pings and send our own (a silent network drop is
// noticed within PONG_WAIT_MS), and reconnect by itself with back-off.
const PING_EVERY_MS = 15000;
const PONG_WAIT_MS = 8000;
const MAX_BACKOFF_MS = 30000;

/**
 * onStatus(state, attempt): "connecting" | "connected" | "reconnecting".
 * onRefused(code): the API refused the subscription (UNAUTHENTICATED, FORBIDDEN); no retry.
 */
export function subscribe({ connectionParams, query, variables, onNext, onStatus, onRefused }) {
  const url = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/graphql`;
  let socket = null;
  let attempt = 0;
  let stopped = false;
  let retryTimer = null;
  let pingTimer = null;
  let pongTimer = null;

  const send = (message) => {
    if (socket && socket.readyState === WebSocket.OPEN) {
      socket.send(JSON.stringify(message));
    }
  };

  const stopPinging = () => {
    clearInterval(pingTimer);
    clearTimeout(pongTimer);
  };

  const refusedWith = (errors) => {
    const list = Array.isArray(errors) ? errors : [];
    const code = list[0] && list[0].extensions && list[0].extensions.code;
    return code === "UNAUTHENTICATED" || code === "FORBIDDEN" ? code : null;
  };

  const fail = (errors) => {
    const code = refusedWith(errors);
    if (code) {
      stop();
      onRefused(code);
    } else if (socket) {
      socket.close();
    }
  };

  function connect() {
    retryTimer = null;
    onStatus(attempt ? "reconnecting" : "connecting", attempt);
    const current = new WebSocket(url, "graphql-transport-ws");
    socket = current;
    current.onopen = () => send({ type: "connection_init", payload: connectionParams });
    current.onmessage = (event) => {
      let message;
      try {
        message = JSON.parse(event.data);
      } catch {
        return;
      }
      switch (message.type) {
        case "connection_ack":
          attempt = 0;
          onStatus("connected", 0);
          send({ id: "1", type: "subscribe", payload: { query, variables } });
          pingTimer = setInterval(() => {
            send({ type: "ping" });
            clearTimeout(pongTimer);
            pongTimer = setTimeout(() => current.close(), PONG_WAIT_MS);
          }, PING_EVERY_MS);
          break;
        case "ping":
          send({ type: "pong" });
          break;
        case "pong":
          clearTimeout(pongTimer);
          break;
        case "next":
          if (message.payload && message.payload.errors) {
            fail(message.payload.errors);
          } else if (message.payload && message.payload.data) {
            onNext(message.payload.data);
          }
          break;
        case "error":
          fail(message.payload);
          break;
        case "complete":
          current.close();
          break;
        default:
          break;
      }
    };
    current.onclose = () => {
      stopPinging();
      if (socket === current && !stopped) {
        scheduleReconnect();
      }
    };
  }

  function scheduleReconnect() {
    attempt += 1;
    const base = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** (attempt - 1));
    const delay = Math.round(base * (0.5 + Math.random() / 2));
    onStatus("reconnecting", attempt);
    retryTimer = setTimeout(connect, delay);
  }

  const reconnectNow = () => {
    if (retryTimer && !stopped) {
      clearTimeout(retryTimer);
      connect();
    }
  };

  function stop() {
    stopped = true;
    stopPinging();
    clearTimeout(retryTimer);
    window.removeEventListener("online", reconnectNow);
    if (socket) {
      socket.close();
    }
  }

  window.addEventListener("online", reconnectNow);
  connect();
  return { stop };
}
