/**
 * Shapes shared by the media modules: the subset of ffprobe's JSON we read, and what we
 * conclude from it. ffprobe prints most numbers as strings ("30000/1001", "12.500000"), so
 * the probe types say so and classify.ts does the parsing in one place.
 */

export interface ProbeSideData {
  side_data_type?: string;
  /** Display Matrix: degrees counter-clockwise, as av_display_rotation_get() reports them. */
  rotation?: number;
  /** Spherical Mapping: "equirectangular", "cubemap", "tiled equirectangular". */
  projection?: string;
  [key: string]: unknown;
}

export interface ProbeStream {
  index: number;
  codec_type?: string;
  codec_name?: string;
  profile?: string;
  width?: number;
  height?: number;
  coded_width?: number;
  coded_height?: number;
  sample_aspect_ratio?: string;
  display_aspect_ratio?: string;
  pix_fmt?: string;
  field_order?: string;
  color_transfer?: string;
  color_primaries?: string;
  color_space?: string;
  r_frame_rate?: string;
  avg_frame_rate?: string;
  duration?: string;
  /** When the stream's first frame is presented, seconds. */
  start_time?: string;
  nb_frames?: string;
  bits_per_raw_sample?: string;
  channels?: number;
  sample_rate?: string;
  disposition?: { attached_pic?: number; [key: string]: number | undefined };
  tags?: Record<string, string>;
  side_data_list?: ProbeSideData[];
}

export interface ProbeFormat {
  filename?: string;
  format_name?: string;
  format_long_name?: string;
  duration?: string;
  size?: string;
  bit_rate?: string;
  nb_streams?: number;
  tags?: Record<string, string>;
}

export interface ProbeJson {
  streams?: ProbeStream[];
  format?: ProbeFormat;
}

export interface VideoInfo {
  codec: string;
  /** Index among the file's video streams (for `0:v:N`), cover art excluded from the choice. */
  streamIndex: number;
  /** Display size: after the sample aspect ratio and the rotation are applied. */
  width: number;
  height: number;
  /** Stored frame size, as the decoder outputs it (before SAR and rotation). */
  codedWidth: number;
  codedHeight: number;
  /** Clockwise degrees a player turns the frame to display it: 0, 90, 180 or 270. */
  rotation: number;
  fps: number;
  pixFmt: string;
  bitDepth: number;
  interlaced: boolean;
  hdr: 'pq' | 'hlg' | null;
}

export interface AudioInfo {
  codec: string;
  /** Index among the file's audio streams (for `0:a:N`). */
  streamIndex: number;
  channels: number;
  sampleRate: number;
}

export interface MediaInfo {
  kind: 'video' | 'audio';
  /** ffprobe's format_name, e.g. "mov,mp4,m4a,3gp,3g2,mj2". */
  container: string;
  /** Seconds; 0 when neither the container nor any stream states it. */
  duration: number;
  sizeBytes: number;
  video?: VideoInfo;
  audio?: AudioInfo;
  is360: boolean;
  projection?: string;
}
