// GraphiQL on this service's /graphql: queries over HTTP, subscriptions over the
// websocket (graphql-transport-ws, bundled in graphiql.min.js). The URL's fragment,
// which never reaches a server, may carry a token (#token=...: the Authorization header)
// and a first query (&query=...).
(function () {
  "use strict";
  const fetchURL = window.location.origin + "/graphql";
  const subscriptionUrl = fetchURL.replace(/^http/, "ws");
  const fragment = new URLSearchParams(window.location.hash.slice(1));
  const token = fragment.get("token");

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
      defaultQuery: fragment.get("query") || undefined,
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
