// The stock board: a location's stocks and sold-out products, kept live by the GraphQL
// subscriptions (graphql-transport-ws) of this service. Authenticated like any client:
// the token comes from the URL's fragment (#token=...&locationId=..., never sent to a
// server, then moved to this browser's storage) or from the form.
(function () {
  "use strict";

  const STORED = "inventory-board";
  const PAGE = 100;
  const RECONNECT_MAX_MS = 10000;

  const STOCKS = `query BoardStocks($locationId: ID, $after: String) {
    stocks(first: ${PAGE}, after: $after, locationId: $locationId) {
      nodes { ...BoardStock }
      pageInfo { hasNextPage endCursor }
    }
  }
  fragment BoardStock on Stock {
    id onHand available version lowStock
    item { __typename ... on Material { name unit } ... on InventoryItem { id name unit } }
  }`;
  const PRODUCTS = `query BoardProducts($locationId: ID!, $after: String) {
    inventoryItems(first: ${PAGE}, after: $after) {
      nodes { id name availableToSell(locationId: $locationId) }
      pageInfo { hasNextPage endCursor }
    }
  }`;
  const LOCATION = `query BoardLocation($id: ID!) { location(id: $id) { id name } }`;
  const FIRST_LOCATION = `query BoardFirstLocation { locations(first: 1) { nodes { id name } } }`;
  const STOCK_CHANGED = `subscription BoardStockChanged($locationId: ID) {
    stockChanged(locationId: $locationId) {
      stock {
        id onHand available version lowStock
        item { __typename ... on Material { name unit } ... on InventoryItem { id name unit } }
      }
    }
  }`;
  const AVAILABILITY_CHANGED = `subscription BoardAvailability($locationId: ID!) {
    availabilityChanged(locationId: $locationId) {
      inventoryItem { id name } availableToSell soldOut
    }
  }`;

  const state = {
    token: null,
    locationId: null,
    stocks: new Map(), // stock id -> stock, only the highest version kept
    soldOut: new Map(), // inventory item id -> name
    socket: null,
    retryMs: 500,
  };

  const $ = (id) => document.getElementById(id);

  function readCredentials() {
    const fragment = new URLSearchParams(window.location.hash.slice(1));
    let stored = {};
    try {
      stored = JSON.parse(window.localStorage.getItem(STORED) || "{}");
    } catch (error) {
      stored = {};
    }
    const token = fragment.get("token") || stored.token || null;
    const locationId = fragment.get("locationId") || stored.locationId || null;
    if (fragment.has("token")) {
      // Out of the address bar (and the screen) once kept.
      window.localStorage.setItem(STORED, JSON.stringify({ token, locationId }));
      history.replaceState(null, "", window.location.pathname + window.location.search);
    }
    return { token, locationId };
  }

  async function graphql(query, variables) {
    const response = await fetch("/graphql", {
      method: "POST",
      headers: { "Content-Type": "application/json", Authorization: "Bearer " + state.token },
      body: JSON.stringify({ query, variables }),
    });
    const body = await response.json();
    if (body.errors && body.errors.length) {
      const error = new Error(body.errors.map((e) => e.message).join("; "));
      error.code = (body.errors[0].extensions || {}).code;
      throw error;
    }
    return body.data;
  }

  async function allPages(query, variables, field) {
    const nodes = [];
    let after = null;
    for (;;) {
      const page = (await graphql(query, { ...variables, after }))[field];
      nodes.push(...page.nodes);
      if (!page.pageInfo.hasNextPage) return nodes;
      after = page.pageInfo.endCursor;
    }
  }

  // Decimal strings compared without floats: "below one unit" is "0...", or negative.
  function belowOne(decimal) {
    return decimal !== null && /^(-|0(\.|$))/.test(decimal);
  }
  function negative(decimal) {
    return decimal.startsWith("-");
  }

  async function resolveLocation() {
    let location;
    if (state.locationId) {
      location = (await graphql(LOCATION, { id: state.locationId })).location;
      if (!location) throw new Error("no location " + state.locationId + " for this token");
    } else {
      location = (await graphql(FIRST_LOCATION, {})).locations.nodes[0];
      if (!location) throw new Error("this merchant has no location yet");
      state.locationId = location.id;
    }
    $("location-name").textContent = location.name;
    document.title = location.name + " — stock board";
  }

  async function load() {
    const stocks = await allPages(STOCKS, { locationId: state.locationId }, "stocks");
    const products = await allPages(PRODUCTS, { locationId: state.locationId }, "inventoryItems");
    const fresh = new Map(stocks.map((stock) => [stock.id, stock]));
    // An event that arrived while the pages loaded may be newer than its page.
    for (const [id, known] of state.stocks) {
      if (fresh.has(id) && fresh.get(id).version < known.version) fresh.set(id, known);
    }
    state.stocks = fresh;
    state.soldOut = new Map(
      products.filter((p) => belowOne(p.availableToSell)).map((p) => [p.id, p.name]),
    );
    render(null);
  }

  function render(changedId) {
    const body = $("stocks");
    const rows = [...state.stocks.values()].sort((a, b) => a.item.name.localeCompare(b.item.name));
    body.replaceChildren(
      ...rows.map((stock) => {
        const row = document.createElement("tr");
        row.dataset.stockId = stock.id;
        row.className = [
          stock.lowStock ? "low" : "",
          negative(stock.available) ? "negative" : "",
          stock.id === changedId ? "changed" : "",
        ].join(" ").trim();
        const cells = [
          ["name", stock.item.name],
          ["on-hand number", stock.onHand + " " + stock.item.unit],
          ["available number", stock.available + " " + stock.item.unit],
        ].map(([css, text]) => {
          const cell = document.createElement("td");
          cell.className = css;
          cell.textContent = text;
          return cell;
        });
        const flag = document.createElement("td");
        if (stock.lowStock) {
          const badge = document.createElement("span");
          badge.className = "badge";
          badge.textContent = "low stock";
          flag.append(badge);
        }
        row.append(...cells, flag);
        return row;
      }),
    );
    const names = [...state.soldOut.values()].sort();
    $("sold-out").replaceChildren(
      ...names.map((name) => {
        const item = document.createElement("li");
        item.textContent = name;
        return item;
      }),
    );
    $("nothing-sold-out").hidden = names.length > 0;
    $("sold-out-section").classList.toggle("none", names.length === 0);
  }

  function setStatus(live, text) {
    const status = $("status");
    status.textContent = text;
    status.className = "status " + (live ? "status-live" : "status-off");
  }

  function applyStock(stock) {
    const known = state.stocks.get(stock.id);
    if (known && known.version >= stock.version) return; // old or duplicate
    state.stocks.set(stock.id, stock);
    render(stock.id);
  }

  function applyAvailability(change) {
    if (change.soldOut) state.soldOut.set(change.inventoryItem.id, change.inventoryItem.name);
    else state.soldOut.delete(change.inventoryItem.id);
    render(null);
  }

  function connect() {
    const url = window.location.origin.replace(/^http/, "ws") + "/graphql";
    const socket = new WebSocket(url, "graphql-transport-ws");
    state.socket = socket;
    const send = (message) => socket.send(JSON.stringify(message));
    socket.onopen = () => {
      send({ type: "connection_init", payload: { Authorization: "Bearer " + state.token } });
    };
    socket.onmessage = async (event) => {
      const message = JSON.parse(event.data);
      if (message.type === "connection_ack") {
        try {
          await resolveLocation();
          const variables = { locationId: state.locationId };
          send({ id: "stocks", type: "subscribe", payload: { query: STOCK_CHANGED, variables } });
          send({
            id: "availability",
            type: "subscribe",
            payload: { query: AVAILABILITY_CHANGED, variables },
          });
          // After every (re)connect: refetch what the screen shows; newer versions win.
          await load();
          state.retryMs = 500;
          setStatus(true, "live");
        } catch (error) {
          if (error.code === "UNAUTHENTICATED") showLogin("The token was refused: paste another.");
          else setStatus(false, error.message);
        }
      } else if (message.type === "ping") {
        send({ type: "pong" });
      } else if (message.type === "next" && message.payload.data) {
        if (message.id === "stocks") applyStock(message.payload.data.stockChanged.stock);
        if (message.id === "availability") {
          applyAvailability(message.payload.data.availabilityChanged);
        }
      } else if (message.type === "error") {
        setStatus(false, message.payload.map((e) => e.message).join("; "));
      }
    };
    socket.onclose = (event) => {
      if (event.code === 4403) {
        showLogin("The token was refused or has expired: paste a fresh one.");
        return;
      }
      setStatus(false, "reconnecting");
      window.setTimeout(connect, state.retryMs);
      state.retryMs = Math.min(state.retryMs * 2, RECONNECT_MAX_MS);
    };
  }

  function showLogin(problem) {
    $("board").hidden = true;
    $("login").hidden = false;
    $("login-error").textContent = problem || "";
    setStatus(false, "signed out");
  }

  function start() {
    $("login").hidden = true;
    $("board").hidden = false;
    connect();
  }

  $("login").addEventListener("submit", (event) => {
    event.preventDefault();
    state.token = $("token-input").value.trim();
    state.locationId = $("location-input").value.trim() || null;
    window.localStorage.setItem(
      STORED,
      JSON.stringify({ token: state.token, locationId: state.locationId }),
    );
    start();
  });

  const credentials = readCredentials();
  state.token = credentials.token;
  state.locationId = credentials.locationId;
  if (state.token) start();
  else showLogin(null);
})();
