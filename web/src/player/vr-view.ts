import {
  LinearFilter,
  Mesh,
  MeshBasicMaterial,
  PerspectiveCamera,
  Scene,
  SphereGeometry,
  SRGBColorSpace,
  VideoTexture,
  WebGLRenderer,
} from 'three';

export interface ViewAngles {
  /** Degrees left/right from the centre of the picture. */
  lon: number;
  /** Degrees up/down, within ±85 (looking straight up spins the world). */
  lat: number;
  /** Vertical field of view in degrees: smaller is zoomed in. */
  fov: number;
}

const DEFAULT_VIEW: ViewAngles = { lon: 0, lat: 0, fov: 75 };
const MIN_FOV = 30;
const MAX_FOV = 100;

/**
 * An equirectangular video seen from inside a sphere: the video is a texture on the sphere's
 * inner face and the camera at its centre turns with drags, arrow keys and the phone's
 * orientation; the wheel or a pinch changes the field of view.
 */
export class VrView {
  readonly canvas: HTMLCanvasElement;
  readonly #renderer: WebGLRenderer;
  readonly #scene = new Scene();
  readonly #camera: PerspectiveCamera;
  #texture: VideoTexture;
  readonly #material: MeshBasicMaterial;
  readonly #container: HTMLElement;
  readonly #resize: ResizeObserver;
  #view: ViewAngles = { ...DEFAULT_VIEW };
  #frame = 0;
  #drag: { x: number; y: number; lon: number; lat: number } | null = null;
  readonly #pointers = new Map<number, { x: number; y: number }>();
  #pinch: { distance: number; fov: number } | null = null;
  #orientation: ((e: DeviceOrientationEvent) => void) | null = null;
  #onChange: (view: ViewAngles) => void;

  constructor(
    video: HTMLVideoElement,
    container: HTMLElement,
    onChange: (view: ViewAngles) => void = () => {},
  ) {
    this.#container = container;
    this.#onChange = onChange;
    this.#renderer = new WebGLRenderer({ antialias: false, powerPreference: 'high-performance' });
    this.#renderer.setPixelRatio(Math.min(2, window.devicePixelRatio || 1));
    this.canvas = this.#renderer.domElement;
    this.canvas.className = 'vr-canvas';
    this.canvas.setAttribute('aria-label', '360° view: drag or use the arrow keys to look around');
    this.canvas.tabIndex = 0;
    container.append(this.canvas);

    this.#camera = new PerspectiveCamera(DEFAULT_VIEW.fov, 16 / 9, 1, 1100);
    const geometry = new SphereGeometry(500, 64, 32);
    geometry.scale(-1, 1, 1); // seen from inside: the faces point inwards, the picture unmirrored
    this.#texture = videoTexture(video);
    this.#material = new MeshBasicMaterial({ map: this.#texture });
    this.#scene.add(new Mesh(geometry, this.#material));

    this.#resize = new ResizeObserver(() => this.#fit());
    this.#resize.observe(container);
    this.#fit();
    this.#bindInput();
    const loop = () => {
      this.#render();
      this.#frame = requestAnimationFrame(loop);
    };
    loop();
  }

  /** Shows another video element (the player swapped in a richer stream): same view, new picture. */
  setVideo(video: HTMLVideoElement): void {
    const old = this.#texture;
    this.#texture = videoTexture(video);
    this.#material.map = this.#texture;
    this.#material.needsUpdate = true;
    old.dispose();
  }

  get view(): ViewAngles {
    return { ...this.#view };
  }

  set(view: Partial<ViewAngles>): void {
    const next = { ...this.#view, ...view };
    next.lat = Math.max(-85, Math.min(85, next.lat));
    next.lon = ((((next.lon + 180) % 360) + 360) % 360) - 180;
    next.fov = Math.max(MIN_FOV, Math.min(MAX_FOV, next.fov));
    this.#view = next;
    this.canvas.dataset.lon = next.lon.toFixed(1);
    this.canvas.dataset.lat = next.lat.toFixed(1);
    this.canvas.dataset.fov = next.fov.toFixed(0);
    this.#onChange(this.view);
  }

  reset(): void {
    this.set(DEFAULT_VIEW);
  }

  /** Arrow keys look around, + and - zoom. Returns whether the key was used. */
  handleKey(key: string): boolean {
    const step = 5;
    const moves: Record<string, Partial<ViewAngles>> = {
      ArrowLeft: { lon: this.#view.lon - step },
      ArrowRight: { lon: this.#view.lon + step },
      ArrowUp: { lat: this.#view.lat + step },
      ArrowDown: { lat: this.#view.lat - step },
      '+': { fov: this.#view.fov - 5 },
      '=': { fov: this.#view.fov - 5 },
      '-': { fov: this.#view.fov + 5 },
    };
    const move = moves[key];
    if (!move) return false;
    this.set(move);
    return true;
  }

  /**
   * Follows the phone's orientation. iOS asks the person first, which needs a tap: call this
   * from a click handler. Resolves false when refused or unavailable.
   */
  async followDevice(): Promise<boolean> {
    const ctor = globalThis.DeviceOrientationEvent as
      | (typeof DeviceOrientationEvent & { requestPermission?: () => Promise<string> })
      | undefined;
    if (!ctor) return false;
    if (ctor.requestPermission && (await ctor.requestPermission().catch(() => 'denied')) !== 'granted')
      return false;
    this.#orientation = (e) => {
      if (e.alpha == null || e.beta == null) return;
      // Phone held upright: beta 90 looks at the horizon; alpha turns around the vertical.
      this.set({ lon: -e.alpha, lat: e.beta - 90 });
    };
    window.addEventListener('deviceorientation', this.#orientation);
    return true;
  }

  dispose(): void {
    cancelAnimationFrame(this.#frame);
    this.#resize.disconnect();
    if (this.#orientation) window.removeEventListener('deviceorientation', this.#orientation);
    this.#texture.dispose();
    this.#renderer.dispose();
    this.canvas.remove();
  }

  #fit(): void {
    const w = this.#container.clientWidth || 640;
    const h = this.#container.clientHeight || Math.round((w * 9) / 16);
    this.#renderer.setSize(w, h, false);
    this.#camera.aspect = w / h;
    this.#camera.updateProjectionMatrix();
  }

  #render(): void {
    const { lon, lat, fov } = this.#view;
    if (this.#camera.fov !== fov) {
      this.#camera.fov = fov;
      this.#camera.updateProjectionMatrix();
    }
    const phi = ((90 - lat) * Math.PI) / 180;
    const theta = (lon * Math.PI) / 180;
    this.#camera.lookAt(
      500 * Math.sin(phi) * Math.cos(theta),
      500 * Math.cos(phi),
      500 * Math.sin(phi) * Math.sin(theta),
    );
    this.#renderer.render(this.#scene, this.#camera);
  }

  #bindInput(): void {
    const c = this.canvas;
    c.style.touchAction = 'none';
    c.addEventListener('pointerdown', (e) => {
      c.setPointerCapture(e.pointerId);
      this.#pointers.set(e.pointerId, { x: e.clientX, y: e.clientY });
      if (this.#pointers.size === 1) {
        this.#drag = { x: e.clientX, y: e.clientY, lon: this.#view.lon, lat: this.#view.lat };
      } else if (this.#pointers.size === 2) {
        this.#drag = null;
        this.#pinch = { distance: this.#pointerDistance(), fov: this.#view.fov };
      }
    });
    c.addEventListener('pointermove', (e) => {
      if (!this.#pointers.has(e.pointerId)) return;
      this.#pointers.set(e.pointerId, { x: e.clientX, y: e.clientY });
      if (this.#pinch) {
        this.set({ fov: (this.#pinch.fov * this.#pinch.distance) / Math.max(1, this.#pointerDistance()) });
      } else if (this.#drag) {
        // Dragging moves the picture with the finger: the view turns the other way.
        const degreesPerPixel = this.#view.fov / (c.clientHeight || 360);
        this.set({
          lon: this.#drag.lon - (e.clientX - this.#drag.x) * degreesPerPixel,
          lat: this.#drag.lat + (e.clientY - this.#drag.y) * degreesPerPixel,
        });
      }
    });
    const end = (e: PointerEvent) => {
      this.#pointers.delete(e.pointerId);
      if (this.#pointers.size < 2) this.#pinch = null;
      if (this.#pointers.size === 0) this.#drag = null;
    };
    c.addEventListener('pointerup', end);
    c.addEventListener('pointercancel', end);
    c.addEventListener(
      'wheel',
      (e) => {
        e.preventDefault();
        this.set({ fov: this.#view.fov + e.deltaY * 0.05 });
      },
      { passive: false },
    );
  }

  #pointerDistance(): number {
    const [a, b] = [...this.#pointers.values()];
    return a && b ? Math.hypot(a.x - b.x, a.y - b.y) : 1;
  }
}

function videoTexture(video: HTMLVideoElement): VideoTexture {
  const texture = new VideoTexture(video);
  texture.colorSpace = SRGBColorSpace;
  texture.minFilter = LinearFilter;
  texture.generateMipmaps = false;
  return texture;
}
