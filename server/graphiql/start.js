// Starts the vendored GraphiQL against this origin's /graphql (HTTP and websocket). What
// Strawberry's own page does inline, as a file: the pages' CSP allows no inline script.
"use strict";

(function () {
  const fetchUrl = location.origin + location.pathname;
  const socketUrl = fetchUrl.replace(/^http/, "ws");
  const shared = new URLSearchParams(location.search);

  function remember(name, value) {
    const next = new URLSearchParams(location.search);
    if (value) {
      next.set(name, value);
    } else {
      next.delete(name);
    }
    history.replaceState(null, "", `${location.pathname}?${next}`);
  }

  const fetcher = GraphiQL.createFetcher({ url: fetchUrl, subscriptionUrl: socketUrl });
  const root = ReactDOM.createRoot(document.getElementById("graphiql"));
  root.render(
    React.createElement(GraphiQL, {
      fetcher,
      defaultEditorToolsVisibility: true,
      query: shared.get("q") || undefined,
      variables: shared.get("variables") || undefined,
      onEditQuery: (query) => remember("q", query),
      onEditVariables: (variables) => remember("variables", variables),
      inputValueDeprecation: true,
      isHeadersEditorEnabled: true,
      shouldPersistHeaders: true,
    }),
  );
})();
