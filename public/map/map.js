// tenfour map: draws the agency's map pack (PMTiles, vector tiles) with Leaflet and
// protomaps-leaflet, and the app's markers on top. Loaded only when a map opens; the service
// worker precaches it with the rest of the app, so it opens with no network.
//
// The pack is read from where the app stored it (the origin-private file system, in pieces
// `chunk-0`, `chunk-1`, … of `chunk` bytes each) or, before that download has finished, from
// the hub in byte ranges. The Rust app drives everything through `window.tenfourMap`.
'use strict';

(() => {
  const BASE = '/map/';

  function script(name) {
    return new Promise((resolve, reject) => {
      const element = document.createElement('script');
      element.src = BASE + name;
      element.async = false;
      element.onload = resolve;
      element.onerror = () => reject(new Error(`the map could not load ${name}`));
      document.head.appendChild(element);
    });
  }

  function stylesheet(name) {
    return new Promise((resolve, reject) => {
      const element = document.createElement('link');
      element.rel = 'stylesheet';
      element.href = BASE + name;
      element.onload = resolve;
      element.onerror = () => reject(new Error(`the map could not load ${name}`));
      document.head.appendChild(element);
    });
  }

  // Fetched at once, run in order (Leaflet first: protomaps-leaflet draws into a Leaflet
  // layer): an inserted script that is not async keeps its place in the queue.
  const ready = Promise.all([
    stylesheet('leaflet.css'),
    ...['leaflet.js', 'pmtiles.js', 'protomaps-leaflet.js'].map(script),
  ]);

  // The pack as the app stored it on this device.
  class StoredPack {
    constructor(folder, chunk, size) {
      this.folder = folder;
      this.chunk = chunk;
      this.size = size;
      this.files = new Map();
    }

    getKey() {
      return `tenfour-stored:${this.folder}`;
    }

    async file(index) {
      let file = this.files.get(index);
      if (!file) {
        const root = await navigator.storage.getDirectory();
        const folder = await root.getDirectoryHandle(this.folder);
        const handle = await folder.getFileHandle(`chunk-${index}`);
        file = await handle.getFile();
        this.files.set(index, file);
      }
      return file;
    }

    async getBytes(offset, length) {
      const end = Math.min(offset + length, this.size);
      const parts = [];
      for (let index = Math.floor(offset / this.chunk); index * this.chunk < end; index += 1) {
        const start = index * this.chunk;
        const file = await this.file(index);
        parts.push(file.slice(Math.max(offset - start, 0), Math.min(end - start, this.chunk)));
      }
      return { data: await new Blob(parts).arrayBuffer() };
    }
  }

  // The pack on the hub, read in byte ranges (the first minutes after sign-in).
  class HubPack {
    constructor(url, token) {
      this.url = url;
      this.token = token;
    }

    getKey() {
      return this.url;
    }

    async getBytes(offset, length, signal) {
      const response = await fetch(this.url, {
        headers: {
          Range: `bytes=${offset}-${offset + length - 1}`,
          Authorization: `Bearer ${this.token}`,
        },
        signal,
      });
      if (response.status !== 206 && response.status !== 200) {
        throw new Error(`the hub answered ${response.status} for the map`);
      }
      const data = await response.arrayBuffer();
      return { data: response.status === 200 ? data.slice(offset, offset + length) : data };
    }
  }

  // Colours for day and night: quiet ground, clear roads, so markers stand out.
  const PALETTES = {
    day: {
      ground: '#efece6', park: '#d3e6c4', water: '#9ec9e6', building: '#d9d1c7',
      casing: '#b9b1a6', road: '#ffffff', major: '#ffe29a', rail: '#8c8c8c',
      text: '#2b2b2b', halo: '#ffffff',
    },
    night: {
      ground: '#15191e', park: '#1c2a20', water: '#0d2536', building: '#262b33',
      casing: '#0b0d10', road: '#4a525d', major: '#7a6a3c', rail: '#5c636d',
      text: '#e6e6e6', halo: '#15191e',
    },
  };

  const kind = (feature) => feature.props['pmap:kind'];
  const roadWidth = {
    highway: (z) => (z < 12 ? 1.5 : z < 15 ? 4 : 7),
    major_road: (z) => (z < 12 ? 1 : z < 15 ? 3 : 6),
    medium_road: (z) => (z < 13 ? 0.5 : z < 15 ? 2 : 5),
    minor_road: (z) => (z < 14 ? 0.5 : z < 16 ? 1.5 : 4),
  };

  function paintRules(p) {
    const P = protomapsL;
    const rules = [
      { dataLayer: 'earth', symbolizer: new P.PolygonSymbolizer({ fill: p.ground }) },
      { dataLayer: 'natural', symbolizer: new P.PolygonSymbolizer({ fill: p.park }) },
      { dataLayer: 'land', symbolizer: new P.PolygonSymbolizer({ fill: p.park, opacity: 0.6 }),
        filter: (z, f) => ['park', 'forest', 'wood', 'grass', 'cemetery'].includes(kind(f)) },
      { dataLayer: 'water', symbolizer: new P.PolygonSymbolizer({ fill: p.water }) },
      { dataLayer: 'physical_line', symbolizer: new P.LineSymbolizer({ color: p.water, width: 2 }) },
      { dataLayer: 'buildings', symbolizer: new P.PolygonSymbolizer({ fill: p.building }),
        minzoom: 14 },
      { dataLayer: 'transit', symbolizer: new P.LineSymbolizer({ color: p.rail, width: 1.5, dash: [4, 3] }) },
    ];
    for (const [road, width] of Object.entries(roadWidth)) {
      rules.push({ dataLayer: 'roads', filter: (z, f) => kind(f) === road,
        symbolizer: new P.LineSymbolizer({ color: p.casing, width: (z) => width(z) + 1.5 }) });
    }
    for (const [road, width] of Object.entries(roadWidth)) {
      const color = road === 'highway' || road === 'major_road' ? p.major : p.road;
      rules.push({ dataLayer: 'roads', filter: (z, f) => kind(f) === road,
        symbolizer: new P.LineSymbolizer({ color, width }) });
    }
    return rules;
  }

  function labelRules(p) {
    const P = protomapsL;
    const text = { fill: p.text, stroke: p.halo, width: 3, labelProps: ['name'] };
    return [
      { dataLayer: 'roads', minzoom: 14,
        symbolizer: new P.LineLabelSymbolizer({ ...text, font: '600 13px sans-serif' }) },
      { dataLayer: 'places',
        symbolizer: new P.CenteredTextSymbolizer({ ...text, font: '700 15px sans-serif' }) },
    ];
  }

  // The pack's attribution as plain text: its HTML is never put into the page.
  function plain(html) {
    const doc = new DOMParser().parseFromString(`<p>${html || ''}</p>`, 'text/html');
    const text = (doc.body.textContent || '').replace(/\s+/g, ' ').trim();
    const escaped = document.createElement('span');
    escaped.textContent = text;
    return escaped.innerHTML;
  }

  const MARKER = {
    incident: { radius: 11, color: '#ffffff', fillColor: '#c62828', weight: 3 },
    me: { radius: 9, color: '#ffffff', fillColor: '#1565c0', weight: 3 },
    unit: { radius: 8, color: '#ffffff', fillColor: '#2e7d32', weight: 2 },
  };

  class TenfourMap {
    constructor(map, archive) {
      this.map = map;
      this.layer = null;
      this.archive = archive;
      this.markers = L.layerGroup().addTo(map);
      this.byId = new Map();
      this.onSelect = null;
      this.fitted = false;
      this.drawn = 0;
    }

    // Adds the streets, once the view is where it will be.
    draw(layer) {
      this.layer = layer;
      layer.on('tileload', () => { this.drawn += 1; });
      layer.addTo(this.map);
    }

    // Markers: [{ id, kind: 'incident'|'me'|'unit', lat, lon, label, colour?, stale?,
    // selected? }]. Kept by id: a marker that moves is moved, not drawn again, so a busy
    // board's positions do not rebuild the map's overlay.
    setMarkers(list) {
      const wanted = new Set(list.map((m) => m.id));
      for (const [id, marker] of this.byId) {
        if (!wanted.has(id)) {
          this.markers.removeLayer(marker);
          this.byId.delete(id);
        }
      }
      for (const m of list) {
        const style = { ...(MARKER[m.kind] || MARKER.unit) };
        if (m.colour) style.fillColor = m.colour;
        style.fillOpacity = m.stale ? 0.45 : 1;
        if (m.selected) {
          style.radius += 5;
          style.weight = 5;
          style.color = '#ffd600';
        }
        const className = `map-label map-label-${m.kind}${m.selected ? ' map-label-selected' : ''}`;
        let marker = this.byId.get(m.id);
        if (marker) {
          marker.setLatLng([m.lat, m.lon]);
          marker.setStyle(style);
          marker.setRadius(style.radius);
          const tooltip = marker.getTooltip();
          if (tooltip) {
            tooltip.setContent(m.label);
            const label = tooltip.getElement();
            if (label) label.classList.toggle('map-label-selected', Boolean(m.selected));
          }
          continue;
        }
        marker = L.circleMarker([m.lat, m.lon], style).addTo(this.markers);
        this.byId.set(m.id, marker);
        if (m.label) {
          // The call's label above it (it is often long), the others beside.
          const above = m.kind === 'incident';
          marker.bindTooltip(m.label, {
            permanent: true, direction: above ? 'top' : 'right', offset: above ? [0, -12] : [10, 0],
            className,
          });
          // The label is tapped as often as the dot: both select.
          const label = marker.getTooltip().getElement();
          if (label) {
            label.dataset.marker = m.id;
            label.addEventListener('click', () => this.onSelect && this.onSelect(m.id));
          }
        }
        marker.on('click', () => this.onSelect && this.onSelect(m.id));
      }
    }

    // Shows every point given; one point alone is shown at street level.
    fit(points, maxZoom) {
      if (points.length === 0) return;
      // At once, not animated: a second fit (the crew's position arriving) must not meet
      // the first still moving.
      if (points.length === 1) {
        this.map.setView(points[0], Math.min(maxZoom, 16), { animate: false });
      } else {
        this.map.fitBounds(L.latLngBounds(points), { padding: [40, 40], maxZoom, animate: false });
      }
      this.fitted = true;
    }

    // Brings a place into view, unless it is already.
    focus(lat, lon) {
      if (!this.map.getBounds().pad(-0.1).contains([lat, lon])) this.map.panTo([lat, lon]);
    }

    // How many tiles have been drawn: the map is not blank once this is above zero.
    tilesDrawn() {
      return this.drawn;
    }

    remove() {
      this.map.remove();
    }
  }

  // Opens a map in `element`. options: { stored: {folder, chunk, size} | null,
  // hub: {url, token} | null, pack: MapPack, night, points: [[lat, lon]], max_zoom }.
  // With points, the map opens on them: no tiles are drawn for a view it would leave at once.
  async function open(element, options) {
    await ready;
    const source = options.stored
      ? new StoredPack(options.stored.folder, options.stored.chunk, options.stored.size)
      : new HubPack(options.hub.url, options.hub.token);
    const archive = new pmtiles.PMTiles(source);
    const pack = options.pack;
    const palette = options.night ? PALETTES.night : PALETTES.day;
    const map = L.map(element, {
      // Labels and markers change in place, at once: no fading copies on a busy board.
      fadeAnimation: false,
      zoomControl: true,
      attributionControl: true,
      minZoom: Math.max(pack.min_zoom, 3),
      // Past the pack's last zoom the vector data is drawn larger.
      maxZoom: Math.min(pack.max_zoom + 4, 19),
      maxBounds: L.latLngBounds([pack.south, pack.west], [pack.north, pack.east]).pad(0.5),
      center: [pack.center_latitude, pack.center_longitude],
      zoom: Math.max(pack.center_zoom, 13),
    });
    map.attributionControl.setPrefix(false);
    const tenfour = new TenfourMap(map, archive);
    if (options.points && options.points.length) tenfour.fit(options.points, options.max_zoom);
    // The pack names its sources; that line goes under the map (as text, never as HTML).
    const meta = await archive.getMetadata().catch(() => null);
    const layer = protomapsL.leafletLayer({
      url: archive,
      attribution: (meta && plain(meta.attribution)) || '© OpenStreetMap contributors',
      paintRules: paintRules(palette),
      labelRules: labelRules(palette),
      backgroundColor: palette.ground,
      maxDataZoom: pack.max_zoom,
    });
    tenfour.draw(layer);
    return tenfour;
  }

  window.tenfourMap = { ready, open };
})();
