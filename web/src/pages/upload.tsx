import { useEffect, useMemo, useState } from 'preact/hooks';
import { Link } from 'wouter-preact';
import { formatBytes } from '../i18n/format.ts';
import { UploadQueue, unfinishedUploads } from '../upload/upload-queue.ts';

const eta = (left: number, speed: number) => {
  if (!speed) return '';
  const s = Math.round(left / speed);
  return s >= 3600
    ? `${Math.floor(s / 3600)} h ${Math.round((s % 3600) / 60)} min left`
    : s >= 60
      ? `${Math.floor(s / 60)} min ${s % 60} s left`
      : `${s} s left`;
};

/** Drag and drop (or choose) many files; each goes up resumably with its own progress. */
export function UploadPage() {
  const [, setTick] = useState(0);
  const queue = useMemo(() => new UploadQueue(() => setTick((t) => t + 1)), []);
  const [dragging, setDragging] = useState(false);
  const [unfinished, setUnfinished] = useState<Array<{ name: string; size: number; since: string }>>([]);
  useEffect(() => {
    void unfinishedUploads().then(setUnfinished);
  }, []);

  const addFiles = (files: FileList | null) => {
    for (const f of Array.from(files ?? [])) queue.add(f);
  };
  const items = [...queue.items.values()];
  const resumable = unfinished.filter((u) => !items.some((i) => i.name === u.name && i.size === u.size));

  return (
    <section>
      <h1>Upload</h1>
      <label
        class={`dropzone${dragging ? ' dragging' : ''}`}
        onDragOver={(e) => {
          e.preventDefault();
          setDragging(true);
        }}
        onDragLeave={() => setDragging(false)}
        onDrop={(e) => {
          e.preventDefault();
          setDragging(false);
          addFiles(e.dataTransfer?.files ?? null);
        }}
      >
        <span>Drop videos or photos here, or choose files</span>
        <input
          type="file"
          multiple
          accept="video/*,audio/*,image/*,.mkv,.mov,.mp4,.webm,.ts,.m2ts,.mxf,.dng,.cr2,.cr3,.nef,.arw,.orf,.rw2,.raf"
          onChange={(e) => {
            addFiles(e.currentTarget.files);
            e.currentTarget.value = '';
          }}
        />
      </label>
      {resumable.length > 0 && (
        <div class="notice" role="status">
          <p>
            Unfinished uploads from an earlier visit — choose the same file again to continue where it
            stopped:
          </p>
          <ul>
            {resumable.map((u) => (
              <li key={`${u.name}${u.since}`}>
                {u.name} ({formatBytes(u.size)})
              </li>
            ))}
          </ul>
        </div>
      )}
      <ul class="uploads">
        {items.map((item) => {
          const pct = item.size ? Math.floor((item.sent / item.size) * 100) : 100;
          return (
            <li key={item.key} class={`upload upload-${item.state}`} data-state={item.state}>
              <div class="upload-head">
                <strong>{item.name}</strong>
                <span>{formatBytes(item.size)}</span>
              </div>
              <progress max={100} value={pct} aria-label={`${item.name}: ${pct}% sent`} />
              <div class="upload-foot">
                <span>
                  {item.state === 'uploading' &&
                    `${pct}% · ${formatBytes(item.speed)}/s · ${eta(item.size - item.sent, item.speed)}`}
                  {item.state === 'paused' && `Paused at ${pct}%`}
                  {item.state === 'finishing' && 'Sent. The server is taking it in…'}
                  {item.state === 'done' && item.assetId && (
                    <Link href={`/assets/${item.assetId}`}>Uploaded — see it being processed</Link>
                  )}
                  {item.state === 'failed' && (
                    <span class="error" role="alert">
                      {item.error}
                    </span>
                  )}
                </span>
                {item.state === 'uploading' && (
                  <button type="button" onClick={() => queue.pause(item.key)}>
                    Pause
                  </button>
                )}
                {(item.state === 'paused' || item.state === 'failed') && (
                  <button type="button" onClick={() => queue.resume(item.key)}>
                    Resume
                  </button>
                )}
              </div>
            </li>
          );
        })}
      </ul>
    </section>
  );
}
