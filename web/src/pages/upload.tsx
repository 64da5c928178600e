import { useEffect, useMemo, useState } from 'preact/hooks';
import { Link } from 'wouter-preact';
import { formatBytes, formatPercent, formatSpan } from '../i18n/format.ts';
import * as m from '../i18n/generated/messages.js';
import { UploadQueue, unfinishedUploads } from '../upload/upload-queue.ts';

/** Time left at this speed, in words: to the minute past an hour, to the second below. */
const eta = (left: number, speed: number) => {
  if (!speed) return '';
  const s = Math.round(left / speed);
  return m.library_upload_left({ time: formatSpan(s >= 3600 ? Math.round(s / 60) * 60 : s) });
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
      <h1>{m.library_upload_title()}</h1>
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
        <span>{m.library_upload_drop()}</span>
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
          <p>{m.library_upload_unfinished()}</p>
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
          const percent = formatPercent(pct / 100, 0);
          return (
            <li key={item.key} class={`upload upload-${item.state}`} data-state={item.state}>
              <div class="upload-head">
                <strong>{item.name}</strong>
                <span>{formatBytes(item.size)}</span>
              </div>
              <progress
                max={100}
                value={pct}
                aria-label={m.library_upload_sent({ name: item.name, percent })}
              />
              <div class="upload-foot">
                <span>
                  {item.state === 'uploading' &&
                    [
                      percent,
                      m.library_upload_speed({ size: formatBytes(item.speed) }),
                      eta(item.size - item.sent, item.speed),
                    ]
                      .filter(Boolean)
                      .join(' · ')}
                  {item.state === 'paused' && m.library_upload_paused({ percent })}
                  {item.state === 'finishing' && m.library_upload_finishing()}
                  {item.state === 'done' && item.assetId && (
                    <Link href={`/assets/${item.assetId}`}>{m.library_upload_done()}</Link>
                  )}
                  {item.state === 'failed' && (
                    <span class="error" role="alert">
                      {item.error}
                    </span>
                  )}
                </span>
                {item.state === 'uploading' && (
                  <button type="button" onClick={() => queue.pause(item.key)}>
                    {m.library_upload_pause()}
                  </button>
                )}
                {(item.state === 'paused' || item.state === 'failed') && (
                  <button type="button" onClick={() => queue.resume(item.key)}>
                    {m.library_upload_resume()}
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
