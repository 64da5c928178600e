/**
 * The part of media-captions' API we use. Its own declarations import their siblings without
 * file extensions, which TypeScript's `nodenext` resolution cannot follow for an ES module
 * package, so they arrive empty; these mirror dist/types of version 1.0.4.
 */
declare module 'media-captions' {
  export const ParseErrorCode: {
    readonly LoadFail: 0;
    readonly BadSignature: 1;
    readonly BadTimestamp: 2;
    readonly BadSettingValue: 3;
    readonly BadFormat: 4;
    readonly UnknownSetting: 5;
  };
  export class ParseError extends Error {
    readonly code: number;
    readonly line: number;
  }
  export class VTTRegion {
    id: string;
    width: number;
    lines: number;
    regionAnchorX: number;
    regionAnchorY: number;
    viewportAnchorX: number;
    viewportAnchorY: number;
    scroll: '' | 'up';
  }
  export class VTTCue {
    id: string;
    startTime: number;
    endTime: number;
    text: string;
    region: VTTRegion | null;
    vertical: '' | 'lr' | 'rl';
    snapToLines: boolean;
    line: number | 'auto';
    lineAlign: 'start' | 'center' | 'end';
    position: number | 'auto';
    positionAlign: 'line-left' | 'center' | 'line-right' | 'auto';
    size: number;
    align: 'start' | 'center' | 'end' | 'left' | 'right';
  }
  export interface ParsedCaptionsResult {
    metadata: Record<string, string>;
    regions: VTTRegion[];
    cues: VTTCue[];
    errors: ParseError[];
  }
  export function parseText(
    text: string,
    options?: { type?: 'vtt' | 'srt'; strict?: boolean; errors?: boolean },
  ): Promise<ParsedCaptionsResult>;
  export function parseVTTTimestamp(timestamp: string): number | null;
}
