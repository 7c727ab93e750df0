// GraphiQL on this service's /graphql: queries over HTTP, subscriptions over the
// websocket (graphql-transport-ws, bundled in graphiql.min.js). A token in the URL's
// fragment (#token=...) fills the Authorization header; the fragment never reaches a
// server.
(function () {
  "use strict";
  const fetchURL = window.location.origin + "/graphql";
  const subscriptionUrl = fetchURL.replace(/^http/, "ws");
  const fragment = new URLSearchParams(window.location.hash.slice(1));
  const token = fragment.get("token");
  const query = new URLSearchParams(window.location.search);

  // A browser cannot set a websocket's headers: the Authorization of the Headers tab goes
  // in connection_init instead, over one socket per Authorization value.
  const fetchers = new Map();
  function fetcherFor(authorization) {
    if (!fetchers.has(authorization)) {
      fetchers.set(
        authorization,
        GraphiQL.createFetcher({
          url: fetchURL,
          subscriptionUrl: subscriptionUrl,
          wsConnectionParams: authorization ? { Authorization: authorization } : {},
        }),
      );
    }
    return fetchers.get(authorization);
  }
  function fetcher(params, options) {
    const headers = (options && options.headers) || {};
    const authorization = headers.Authorization || headers.authorization || "";
    return fetcherFor(authorization)(params, options);
  }
  const explorer = GraphiQLPluginExplorer.explorerPlugin();

  function App() {
    return React.createElement(GraphiQL, {
      fetcher: fetcher,
      plugins: [explorer],
      defaultEditorToolsVisibility: true,
      defaultQuery: query.get("query") || undefined,
      headers: token
        ? JSON.stringify({ Authorization: "Bearer " + token }, null, 2)
        : undefined,
      isHeadersEditorEnabled: true,
      shouldPersistHeaders: true,
      inputValueDeprecation: true,
    });
  }

  ReactDOM.createRoot(document.getElementById("graphiql")).render(React.createElement(App));
})();
