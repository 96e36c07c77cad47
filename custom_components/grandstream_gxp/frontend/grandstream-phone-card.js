// The Grandstream phone card and its tile-card feature. Served and loaded by the
// integration (frontend.py); plain custom elements, so there is no build step.
const DOMAIN = "grandstream_gxp";
const CARD = "grandstream-phone-card";
const FEATURE = "grandstream-call-controls";
const IN_USE = new Set(["dialing", "calling", "ringing", "connected", "onhold", "failed"]);
const OUTGOING = new Set(["dialing", "calling"]);
const PAD = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "*", "0", "#"];
const HISTORY_LIMIT = 5;

const esc = (text) =>
  String(text ?? "").replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const duration = (seconds) => {
  const s = Math.max(0, Math.floor(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const mmss = `${h ? String(m).padStart(2, "0") : m}:${String(s % 60).padStart(2, "0")}`;
  return h ? `${h}:${mmss}` : mmss;
};

// The phone's entities, found through the entity registry's display entries.
function phoneEntities(hass, deviceId) {
  const found = { lines: [], status: undefined, missed: undefined };
  for (const entry of Object.values(hass.entities ?? {})) {
    if (entry.device_id !== deviceId || entry.platform !== DOMAIN) continue;
    const stateObj = hass.states[entry.entity_id];
    if (!stateObj) continue;
    if (entry.translation_key === "line") {
      // The line number is a name placeholder, not an attribute: the entity id
      // (`..._line_2`) or the name ("Line 2") carries it.
      const number =
        entry.entity_id.match(/_line_(\d+)$/)?.[1] ??
        String(stateObj.attributes.friendly_name ?? "").match(/(\d+)\s*$/)?.[1];
      found.lines.push({ number: Number(number ?? found.lines.length + 1), stateObj });
    } else if (entry.translation_key === "phone_status") {
      found.status = stateObj;
    } else if (entry.translation_key === "missed_calls") {
      found.missed = stateObj;
    }
  }
  found.lines.sort((a, b) => a.number - b.number);
  return found;
}

const stateText = (hass, stateObj) =>
  hass.formatEntityState?.(stateObj) ?? stateObj.state;

// Button texts are the integration's own button names, in the user's language.
const LABELS = {
  answer: "Answer",
  hang_up: "Hang up",
  hold: "Hold",
  resume: "Resume",
  swap: "Swap calls",
  complete_transfer: "Complete transfer",
  cancel_transfer: "Cancel transfer",
};
const label = (hass, key) =>
  hass.localize?.(`component.${DOMAIN}.entity.button.${key}.name`) || LABELS[key];

// The translated message of a rejected action, in the user's language when loaded.
async function errorMessage(hass, err) {
  if (err?.translation_key && err.translation_domain && hass.loadBackendTranslation) {
    try {
      const localize = await hass.loadBackendTranslation(
        "exceptions",
        err.translation_domain
      );
      const text = localize(
        `component.${err.translation_domain}.exceptions.${err.translation_key}.message`,
        err.translation_placeholders ?? {}
      );
      if (text) return text;
    } catch (_e) {
      // fall back to the server's message
    }
  }
  return err?.message ?? String(err);
}

// What the lines allow: each entry is [key, service, data].
function allowedActions(lines) {
  const by = (state) => lines.filter((l) => l.stateObj.state === state);
  const ringing = by("ringing");
  const connected = by("connected");
  const held = by("onhold");
  const outgoing = lines.filter((l) => OUTGOING.has(l.stateObj.state));
  const actions = [];
  if (ringing.length) actions.push(["answer", "answer", { line: ringing[0].number }]);
  if (ringing.length && !connected.length && !outgoing.length) {
    actions.push(["hang_up", "hang_up", { line: ringing[0].number }]);
  } else if (connected.length || outgoing.length || held.length) {
    actions.push(["hang_up", "hang_up", {}]);
  }
  if (connected.length && !held.length) {
    actions.push(["hold", "hold", { line: connected[0].number }]);
    actions.push(["transfer", null, {}]);
  }
  if (held.length && !connected.length && !outgoing.length) {
    actions.push(["resume", "resume", { line: held[0].number }]);
  }
  if (held.length && connected.length) actions.push(["swap", "swap", {}]);
  if (held.length && (connected.length || outgoing.length)) {
    actions.push(["complete_transfer", "complete_transfer", {}]);
    actions.push(["cancel_transfer", "cancel_transfer", {}]);
  }
  return actions;
}

const STYLE = `
  ha-card { padding: 16px; }
  .header { display: flex; justify-content: space-between; align-items: baseline; gap: 8px; }
  .name { font-size: 1.25em; font-weight: 500; }
  .status { color: var(--secondary-text-color); }
  .line { display: grid; grid-template-columns: 1fr auto; padding: 8px 0;
    border-bottom: 1px solid var(--divider-color); }
  .line .who { font-weight: 500; }
  .line .meta { color: var(--secondary-text-color); font-size: 0.9em; }
  .line .timer { font-variant-numeric: tabular-nums; align-self: center; }
  .state-ringing .who { color: var(--warning-color, #ff9800); }
  .idle { color: var(--secondary-text-color); padding: 8px 0; }
  .actions, .transfer, .dial { display: flex; flex-wrap: wrap; gap: 8px; margin-top: 12px; }
  button { font: inherit; cursor: pointer; border: none; border-radius: 18px;
    padding: 8px 16px; background: var(--primary-color); color: var(--text-primary-color, #fff); }
  button.secondary { background: var(--secondary-background-color);
    color: var(--primary-text-color); }
  button.danger { background: var(--error-color, #db4437); }
  button.answer { background: var(--success-color, #43a047); }
  button:disabled { opacity: 0.5; cursor: default; }
  input, select { font: inherit; padding: 6px 8px; border-radius: 6px;
    border: 1px solid var(--divider-color); background: var(--card-background-color);
    color: var(--primary-text-color); }
  input { flex: 1; min-width: 8em; }
  .error { margin-top: 12px; padding: 8px 12px; border-radius: 6px;
    background: var(--error-color, #db4437); color: #fff; display: flex;
    justify-content: space-between; gap: 8px; }
  .error button { background: transparent; padding: 0 4px; }
  .pad { display: grid; grid-template-columns: repeat(3, 1fr); gap: 6px; margin-top: 8px; }
  .pad button { border-radius: 8px; font-size: 1.1em; }
  h3 { margin: 16px 0 4px; font-size: 1em; font-weight: 500; }
  .call { display: flex; justify-content: space-between; align-items: center; padding: 4px 0; }
  .call .meta { color: var(--secondary-text-color); font-size: 0.9em; }
  .call button { padding: 4px 12px; }
  [hidden] { display: none !important; }
`;

class GrandstreamPhoneCard extends HTMLElement {
  static getConfigForm() {
    return {
      schema: [
        {
          name: "device_id",
          required: true,
          selector: { device: { filter: { integration: DOMAIN } } },
        },
      ],
      computeLabel: (schema) => (schema.name === "device_id" ? "Phone" : undefined),
    };
  }

  static getStubConfig(hass) {
    const entry = Object.values(hass.entities ?? {}).find(
      (e) => e.platform === DOMAIN && e.device_id
    );
    return { device_id: entry?.device_id ?? "" };
  }

  constructor() {
    super();
    this.attachShadow({ mode: "open" });
    this._config = undefined;
    this._hass = undefined;
    this._signature = "";
    this._error = "";
    this._busy = false;
    this._transferOpen = false;
    this._history = [];
    this._historyKey = undefined;
    this._timer = undefined;
    this._built = false;
  }

  setConfig(config) {
    if (!config || typeof config !== "object") throw new Error("Invalid configuration");
    this._config = { ...config };
    this._signature = "";
    this._historyKey = undefined;
    if (this._hass) this._update();
  }

  set hass(hass) {
    this._hass = hass;
    this._update();
  }

  get hass() {
    return this._hass;
  }

  getCardSize() {
    return 6;
  }

  getGridOptions() {
    return { columns: 12, min_columns: 6, rows: "auto" };
  }

  connectedCallback() {
    if (this._hass) this._update();
  }

  disconnectedCallback() {
    clearInterval(this._timer);
    this._timer = undefined;
  }

  _build() {
    this.shadowRoot.innerHTML = `
      <style>${STYLE}</style>
      <ha-card>
        <div class="header"><span class="name"></span><span class="status"></span></div>
        <div class="lines"></div>
        <div class="actions"></div>
        <form class="transfer" hidden>
          <input name="number" inputmode="tel" autocomplete="off"
            placeholder="Transfer to number" aria-label="Transfer to number">
          <select name="mode" aria-label="Transfer mode">
            <option value="attended">Attended</option>
            <option value="blind">Blind</option>
          </select>
          <button type="submit" data-act="do_transfer">Transfer</button>
        </form>
        <div class="error" role="alert" hidden>
          <span class="message"></span>
          <button type="button" data-act="dismiss" aria-label="Dismiss">✕</button>
        </div>
        <form class="dial">
          <input name="number" inputmode="tel" autocomplete="off"
            placeholder="Number" aria-label="Number to dial">
          <button type="submit" data-act="dial">Call</button>
        </form>
        <div class="pad">
          ${PAD.map((k) => `<button type="button" class="secondary" data-key="${esc(k)}">${esc(k)}</button>`).join("")}
        </div>
        <h3>Recent calls</h3>
        <div class="recent"></div>
      </ha-card>`;
    const root = this.shadowRoot;
    root.addEventListener("click", (ev) => this._onClick(ev));
    root.querySelector("form.transfer").addEventListener("submit", (ev) => {
      ev.preventDefault();
      this._transfer();
    });
    root.querySelector("form.dial").addEventListener("submit", (ev) => {
      ev.preventDefault();
      this._dial();
    });
    this._built = true;
  }

  _update() {
    if (!this._hass || !this._config) return;
    if (!this._built) this._build();
    const root = this.shadowRoot;
    const deviceId = this._config.device_id;
    const device = this._hass.devices?.[deviceId];
    const found = deviceId ? phoneEntities(this._hass, deviceId) : { lines: [] };
    const signature = JSON.stringify([
      deviceId,
      device?.name_by_user ?? device?.name,
      found.status?.state,
      found.missed?.last_updated,
      found.lines.map((l) => [l.number, l.stateObj.state, l.stateObj.last_changed,
        l.stateObj.attributes.remote_number, l.stateObj.attributes.remote_name]),
      this._error,
      this._busy,
      this._transferOpen,
      this._history,
    ]);
    this._refreshHistory(found);
    if (signature === this._signature) return;
    this._signature = signature;

    root.querySelector(".name").textContent =
      device?.name_by_user ?? device?.name ?? (deviceId ? "Phone" : "Choose a phone");
    root.querySelector(".status").textContent = found.status
      ? stateText(this._hass, found.status)
      : "";

    const inUse = found.lines.filter((l) => IN_USE.has(l.stateObj.state));
    root.querySelector(".lines").innerHTML = inUse.length
      ? inUse.map((l) => this._lineHtml(l)).join("")
      : `<div class="idle">${deviceId ? "No calls" : "Choose a phone in the card's settings."}</div>`;

    const actions = allowedActions(found.lines);
    if (!actions.some(([key]) => key === "transfer")) this._transferOpen = false;
    root.querySelector(".actions").innerHTML = actions
      .map(([key, service, data]) => {
        const cls = key === "answer" ? "answer" : key === "hang_up" ? "danger" : "";
        const text = key === "transfer" ? "Transfer" : label(this._hass, key);
        return `<button type="button" class="${cls}" data-act="${esc(key)}"
          data-service="${esc(service ?? "")}" data-data='${esc(JSON.stringify(data))}'
          ${this._busy ? "disabled" : ""}>${esc(text)}</button>`;
      })
      .join("");
    root.querySelector("form.transfer").hidden = !this._transferOpen;

    const error = root.querySelector(".error");
    error.hidden = !this._error;
    error.querySelector(".message").textContent = this._error;

    // The pad dials when no call is up and sends tones into a connected call.
    const inCall = found.lines.some((l) => l.stateObj.state === "connected");
    root.querySelector("form.dial").hidden = inCall || inUse.length > 0;
    for (const button of root.querySelectorAll("button")) {
      if (button.closest(".actions") || button.dataset.act === "dismiss") continue;
      button.disabled = this._busy || !deviceId;
    }
    root.querySelector(".pad").hidden = !deviceId || (inUse.length > 0 && !inCall);

    root.querySelector(".recent").innerHTML = this._history.length
      ? this._history.map((call) => this._callHtml(call)).join("")
      : `<div class="idle">No calls yet</div>`;

    this._tick();
    const timing = inUse.length > 0;
    if (timing && !this._timer) this._timer = setInterval(() => this._tick(), 1000);
    if (!timing && this._timer) {
      clearInterval(this._timer);
      this._timer = undefined;
    }
  }

  _lineHtml(line) {
    const { state, attributes, last_changed: since } = line.stateObj;
    const name = attributes.remote_name;
    const number = attributes.remote_number;
    const who = name && number ? `${name} (${number})` : name || number || "Unknown";
    return `<div class="line state-${esc(state)}">
      <div><div class="who">${esc(who)}</div>
        <div class="meta">Line ${esc(line.number)} · ${esc(stateText(this._hass, line.stateObj))}</div></div>
      <div class="timer" data-since="${esc(since)}"></div></div>`;
  }

  _callHtml(call) {
    const who = call.name ? `${call.name} (${call.number})` : call.number || "Unknown";
    const when = call.start ? new Date(call.start) : undefined;
    const time = when
      ? when.toLocaleString(this._hass.locale?.language, {
          dateStyle: "short",
          timeStyle: "short",
        })
      : "";
    const meta = [call.direction, call.outcome, time].filter(Boolean).join(" · ");
    const callBack = call.number
      ? `<button type="button" class="secondary" data-act="call_back"
          data-number="${esc(call.number)}" ${this._busy ? "disabled" : ""}>Call back</button>`
      : "";
    return `<div class="call"><div><div>${esc(who)}</div><div class="meta">${esc(meta)}</div></div>${callBack}</div>`;
  }

  _tick() {
    const now = Date.now();
    for (const el of this.shadowRoot.querySelectorAll(".timer[data-since]")) {
      const since = Date.parse(el.dataset.since);
      el.textContent = Number.isNaN(since) ? "" : duration((now - since) / 1000);
    }
  }

  _refreshHistory(found) {
    // The missed-calls sensor changes whenever a call is added to the history.
    const key = `${this._config.device_id}|${found.missed?.last_updated ?? ""}`;
    if (!this._config.device_id || key === this._historyKey) return;
    this._historyKey = key;
    this._hass
      .callService(DOMAIN, "get_call_history", {
        device_id: this._config.device_id,
        limit: HISTORY_LIMIT,
      }, undefined, false, true)
      .then((result) => {
        this._history = result?.response?.calls ?? [];
        this._update();
      })
      .catch(() => {
        // No history while the phone is not loaded; the lines say why.
      });
  }

  _onClick(ev) {
    const button = ev.composedPath().find((el) => el instanceof HTMLButtonElement);
    if (!button || button.disabled) return;
    if (button.dataset.key) {
      this._padKey(button.dataset.key);
      return;
    }
    const act = button.dataset.act;
    if (!act || button.type === "submit") return;
    if (act === "dismiss") {
      this._error = "";
      this._update();
    } else if (act === "transfer") {
      this._transferOpen = !this._transferOpen;
      this._update();
      if (this._transferOpen) this.shadowRoot.querySelector("form.transfer input").focus();
    } else if (act === "call_back") {
      this._call("dial", { number: button.dataset.number });
    } else if (button.dataset.service) {
      this._call(button.dataset.service, JSON.parse(button.dataset.data || "{}"));
    }
  }

  _padKey(key) {
    const found = phoneEntities(this._hass, this._config.device_id);
    if (found.lines.some((l) => l.stateObj.state === "connected")) {
      this._call("send_dtmf", { digits: key });
      return;
    }
    const input = this.shadowRoot.querySelector("form.dial input");
    input.value += key;
  }

  _dial() {
    const input = this.shadowRoot.querySelector("form.dial input");
    const number = input.value.trim();
    if (!number) return;
    this._call("dial", { number }).then((ok) => {
      if (ok) input.value = "";
    });
  }

  _transfer() {
    const form = this.shadowRoot.querySelector("form.transfer");
    const number = form.elements.number.value.trim();
    if (!number) return;
    this._call("transfer", { number, mode: form.elements.mode.value }).then((ok) => {
      if (ok) {
        form.elements.number.value = "";
        this._transferOpen = false;
        this._update();
      }
    });
  }

  async _call(service, data) {
    this._busy = true;
    this._error = "";
    this._update();
    try {
      await this._hass.callService(DOMAIN, service, {
        device_id: this._config.device_id,
        ...data,
      }, undefined, false);
      return true;
    } catch (err) {
      this._error = await errorMessage(this._hass, err);
      return false;
    } finally {
      this._busy = false;
      this._update();
    }
  }
}

// Tile-card feature for the phone's status sensor: answer, hang up, hold or resume.
class GrandstreamCallControls extends HTMLElement {
  static getStubConfig() {
    return { type: `custom:${FEATURE}` };
  }

  constructor() {
    super();
    this.attachShadow({ mode: "open" });
    this._signature = "";
  }

  setConfig(config) {
    if (!config) throw new Error("Invalid configuration");
    this._config = config;
  }

  set hass(hass) {
    this._hass = hass;
    this._render();
  }

  set context(context) {
    this._context = context;
    this._render();
  }

  _deviceId() {
    const entityId = this._context?.entity_id ?? this.stateObj?.entity_id;
    return entityId ? this._hass?.entities?.[entityId]?.device_id : undefined;
  }

  _render() {
    const deviceId = this._deviceId();
    if (!this._hass || !deviceId) return;
    const lines = phoneEntities(this._hass, deviceId).lines;
    const actions = allowedActions(lines).filter(([key]) =>
      ["answer", "hang_up", "hold", "resume"].includes(key)
    );
    const signature = JSON.stringify([actions, this._error, this._busy]);
    if (signature === this._signature) return;
    this._signature = signature;
    this.shadowRoot.innerHTML = `<style>
        .row { display: flex; gap: 8px; padding: 0 12px 12px; }
        button { flex: 1; font: inherit; border: none; border-radius: 12px; padding: 8px;
          cursor: pointer; background: var(--secondary-background-color);
          color: var(--primary-text-color); }
        button.answer { background: var(--success-color, #43a047); color: #fff; }
        button.hang_up { background: var(--error-color, #db4437); color: #fff; }
        .error { color: var(--error-color, #db4437); padding: 0 12px 8px; font-size: 0.9em; }
      </style>
      <div class="row">${actions
        .map(([key, service, data]) => `<button type="button" class="${esc(key)}"
          data-service="${esc(service)}" data-data='${esc(JSON.stringify(data))}'
          ${this._busy ? "disabled" : ""}>${esc(label(this._hass, key))}</button>`)
        .join("") || `<button type="button" disabled>${esc(label(this._hass, "answer"))}</button>`}</div>
      ${this._error ? `<div class="error" role="alert">${esc(this._error)}</div>` : ""}`;
    for (const button of this.shadowRoot.querySelectorAll("button[data-service]")) {
      button.addEventListener("click", (ev) => {
        ev.stopPropagation();
        this._press(button.dataset.service, JSON.parse(button.dataset.data));
      });
    }
  }

  async _press(service, data) {
    this._busy = true;
    this._error = "";
    this._render();
    try {
      await this._hass.callService(DOMAIN, service, {
        device_id: this._deviceId(),
        ...data,
      }, undefined, false);
    } catch (err) {
      this._error = await errorMessage(this._hass, err);
    } finally {
      this._busy = false;
      this._render();
    }
  }
}

// The frontend's app replaces window.customElements with a scoped registry when it
// starts, and extra modules load alongside it: definitions made before that are lost.
// Define once <home-assistant> exists, in the registry the frontend then uses.
function register() {
  const registry = window.customElements;
  if (registry.get(CARD)) return;
  registry.define(CARD, GrandstreamPhoneCard);
  registry.define(FEATURE, GrandstreamCallControls);
  window.customCards = window.customCards || [];
  window.customCards.push({
    type: CARD,
    name: "Grandstream phone",
    description:
      "Calls on a Grandstream GXP phone: answer, hold, transfer, dial pad and recent calls.",
    preview: true,
    documentationURL: "https://github.com/grandstream-gxp/grandstream_gxp#phone-card",
  });
  window.customCardFeatures = window.customCardFeatures || [];
  window.customCardFeatures.push({
    type: FEATURE,
    name: "Phone call controls",
    supportsAlreadyConfigured: true,
    isSupported: (hass, context) => {
      const entry = hass.entities?.[context?.entity_id];
      return entry?.platform === DOMAIN && entry.translation_key === "phone_status";
    },
  });
}

window.customElements.whenDefined("home-assistant").then(register);
