/**
 * The Korean message of every error code (src/shared/errors.ts holds the codes, their statuses
 * and the English messages). A `Record<ErrorCode, string>`: a code added there without its
 * Korean message here fails `npm run typecheck`. Plain TypeScript rather than a Paraglide
 * catalogue: the server runs its sources directly, with no build step (see mail-messages.ts).
 *
 * The codes never change with the language; only `message` does (src/http/error-handler.ts
 * picks it from the request's Accept-Language). Configuration names, headers and paths
 * (FRAMEHOUSE_…, Retry-After, POST …/complete) stay as they are written.
 */
import type { ErrorCode } from '../shared/errors.ts';

export const ERROR_MESSAGES_KO: Record<ErrorCode, string> = {
  FH_ERR_VALIDATION: '요청이 올바르지 않습니다.',
  FH_ERR_NOT_FOUND: '여기에는 아무것도 없습니다.',
  FH_ERR_WEB_NOT_BUILT:
    '이 서버에 웹 앱이 빌드되어 있지 않습니다. `npm run build:web`을 실행하세요(npm start가 실행합니다).',
  FH_ERR_ASSET_NOT_FOUND: '이 ID의 미디어가 없습니다.',
  FH_ERR_UPLOAD_NOT_FOUND: '이 ID의 업로드가 없습니다.',
  FH_ERR_PLAYBACK_NOT_FOUND: '이 재생 ID를 찾을 수 없습니다.',
  FH_ERR_NOT_READY: '미디어가 아직 준비되지 않았습니다.',
  FH_ERR_TRACK_NOT_FOUND: '이 미디어에 이 ID의 트랙이 없습니다.',
  FH_ERR_TRACK_NAME_TAKEN:
    '이 미디어의 다른 트랙이 이미 이 이름을 쓰고 있습니다. 플레이어는 트랙을 이름으로 보여 주므로 트랙마다 다른 이름을 붙이세요.',
  FH_ERR_CAPTIONS_INVALID: '올바른 WebVTT 또는 SRT 파일이 아닙니다.',
  FH_ERR_DOWNLOAD_NOT_AVAILABLE:
    '이 미디어는 MP4 다운로드를 제공하지 않습니다. "mp4_support"를 "standard" 또는 "capped-1080p"로 설정하세요.',
  FH_ERR_DOWNLOAD_NOT_READY:
    '완성된 렌디션으로 MP4 다운로드 파일을 만드는 중입니다. 잠시 후 다시 요청하세요.',
  FH_ERR_QUOTA_EXCEEDED:
    '할당량을 초과하게 됩니다. 관리자에게 할당량을 늘려 달라고 요청하거나 공간을 비우세요.',
  FH_ERR_UPLOAD_TOO_LARGE: '파일이 이 서버가 받는 크기보다 큽니다.',
  FH_ERR_BODY_TOO_LARGE: '요청 본문이 이 엔드포인트가 받는 크기보다 큽니다.',
  FH_ERR_UPLOAD_MISSING_FILE: '요청에 파일이 없습니다. "file" 필드로 보내세요.',
  FH_ERR_UNSUPPORTED_CONTENT_TYPE: '여기에서는 이 콘텐츠 유형을 받지 않습니다.',
  FH_ERR_RANGE_NOT_SATISFIABLE: '요청한 바이트 범위가 파일 밖에 있습니다.',
  FH_ERR_CURSOR_INVALID: '페이지 커서가 올바르지 않습니다.',
  FH_ERR_UNAUTHENTICATED:
    '인증 정보가 필요합니다. 로그인하거나 API 키를 "Authorization: Bearer <key>"로 보내세요.',
  FH_ERR_FORBIDDEN: '이 작업을 할 권한이 없습니다.',
  FH_ERR_CSRF: '이 변경은 신뢰할 수 있는 페이지에서 온 것이 아닙니다(로그인 세션의 Origin 검사).',
  FH_ERR_NOT_OWNER: '편집자는 자신이 만든 미디어만 관리할 수 있습니다. 이 미디어는 다른 사람의 것입니다.',
  FH_ERR_ADMIN_ADDRESS: '이 주소에서는 관리 작업을 할 수 없습니다.',
  FH_ERR_RATE_LIMITED: '요청이 너무 많습니다. 잠시 후 다시 시도하세요.',
  FH_ERR_USER_NOT_FOUND: '이 ID의 계정이 없습니다.',
  FH_ERR_WEBHOOK_NOT_FOUND: '이 ID의 웹훅이 없습니다.',
  FH_ERR_WEBHOOK_URL: '이 URL로는 웹훅을 받을 수 없습니다.',
  FH_ERR_FETCH_FAILED: 'URL을 가져오지 못했습니다.',
  FH_ERR_FETCH_TOO_LARGE: 'URL의 파일이 이 서버가 가져오는 크기보다 큽니다.',
  FH_ERR_ADDRESS_REFUSED:
    'URL이 루프백, 사설 또는 링크 로컬 주소를 가리킵니다. 이 서버는 이런 주소에서 가져오지 않습니다.',
  FH_ERR_STORAGE_HOOK_OFF:
    '저장소 훅이 꺼져 있습니다. 운영자가 FRAMEHOUSE_STORAGE_HOOK_SECRET으로 켤 수 있습니다.',
  FH_ERR_EVENT_NOT_FOUND: '이 ID의 이벤트가 없습니다.',
  FH_ERR_JOB_NOT_FOUND: '이 ID의 작업이 없습니다.',
  FH_ERR_JOB_NOT_DEAD:
    '실패로 끝난 작업만 다시 실행할 수 있습니다(또는 같은 중복 제거 키를 가진 다른 작업이 이미 진행 중입니다).',
  FH_ERR_API_KEY_NOT_FOUND: '이 ID의 API 키가 없습니다.',
  FH_ERR_PLAYBACK_TOKEN_REQUIRED: '비공개 동영상입니다. URL에 재생 토큰(?token=…)이 필요합니다.',
  FH_ERR_PLAYBACK_TOKEN_INVALID: '재생 토큰이 올바르지 않습니다.',
  FH_ERR_PLAYBACK_TOKEN_EXPIRED: '재생 토큰이 만료되었습니다. 새 토큰을 받으세요.',
  FH_ERR_PLAYBACK_TOKEN_MISMATCH: '다른 동영상의 재생 토큰입니다.',
  FH_ERR_PLAYBACK_TOKEN_NOT_RENEWABLE:
    '이 재생 토큰은 갱신할 수 없습니다(갱신 가능하게 만들어지지 않았거나 링크가 만료되었습니다).',
  FH_ERR_SIGNING_KEY_NOT_FOUND: '이 ID의 활성 재생 서명 키가 없습니다.',
  FH_ERR_LAST_SIGNING_KEY: '유일한 활성 서명 키입니다. 폐기하기 전에 새 키를 만드세요.',
  FH_ERR_LIVE_STREAM_NOT_FOUND: '이 ID의 라이브 스트림이 없습니다.',
  FH_ERR_LIVE_STREAM_BROADCASTING:
    '라이브 스트림이 방송 중입니다. 먼저 방송을 완료하거나(POST …/complete) 스트림을 비활성화하세요.',
  FH_ERR_LIVE_SRT_PORTS_EXHAUSTED:
    'FRAMEHOUSE_SRT_PORTS의 모든 SRT 포트를 라이브 스트림이 쓰고 있습니다. 범위를 넓히거나 더 이상 쓰지 않는 스트림을 삭제하세요.',
  FH_ERR_LIVE_STREAM_DISABLED: '라이브 스트림이 비활성화되어 있습니다. 방송하기 전에 활성화하세요.',
  FH_ERR_LIVE_STREAM_BUSY: '다른 인코더가 이미 이 라이브 스트림으로 방송하고 있습니다.',
  FH_ERR_LIVE_UNSUPPORTED_MEDIA:
    '라이브 입력은 H.264 동영상과 AAC 오디오(또는 오디오 없음)여야 합니다. 인코더 설정을 바꾸세요.',
  FH_ERR_LIVE_BITRATE_TOO_HIGH:
    '입력 비트레이트가 이 서버가 받는 값(FRAMEHOUSE_LIVE_MAX_BITRATE_KBPS)보다 높습니다.',
  FH_ERR_LIVE_NODE_FULL:
    '이 라이브 노드는 받을 수 있는 최대 스트림 수(FRAMEHOUSE_LIVE_MAX_STREAMS)에 도달했습니다. 나중에 다시 시도하세요.',
  FH_ERR_LIVE_INPUT_ENDED: '인코더가 전송을 멈추고 재연결 대기 시간 안에 돌아오지 않았습니다.',
  FH_ERR_LIVE_INPUT_REFUSED:
    '방송이 거부되었습니다. 인코더가 이 서버에서 방송을 시작할 수 있는 데이터를 보내지 않았습니다.',
  FH_ERR_LIVE_NOT_ON_AIR: '이 라이브 스트림은 지금 방송 중이 아닙니다.',
  FH_ERR_LIVE_WAIT_TIMEOUT:
    '라이브 스트림의 요청한 부분이 제시간에 도착하지 않았습니다. 재생 목록을 다시 불러오세요.',
  FH_ERR_LIVE_NODE_UNREACHABLE: '이 스트림을 맡고 있는 라이브 노드에 연결할 수 없습니다.',
  FH_ERR_WHEP_BAD_OFFER:
    '본문이 이 서버가 응답할 수 있는 WebRTC SDP 오퍼가 아닙니다(Content-Type: application/sdp).',
  FH_ERR_WHEP_FULL:
    '이 라이브 노드의 WebRTC 시청자 수가 최대치(FRAMEHOUSE_WHEP_MAX_VIEWERS)입니다. 나중에 다시 시도하거나 HLS를 쓰세요.',
  FH_ERR_WHEP_UNAVAILABLE:
    '이 라이브 스트림은 지금 WebRTC로 재생할 수 없습니다(WebRTC로 보낼 수 있는 렌디션이 없습니다). HLS를 쓰세요.',
  FH_ERR_WHEP_SESSION_NOT_FOUND: '이 ID의 WebRTC 세션이 없습니다(이미 끝났습니다).',
  FH_ERR_STORAGE_FULL: '서버에 저장할 공간이 남아 있지 않습니다. 관리자가 공간을 확보한 뒤 다시 시도하세요.',
  FH_ERR_INTERNAL: '서버에서 문제가 생겼습니다. 기록해 두었습니다.',
  FH_ERR_BUSY: '서버가 바쁩니다. 잠시 후 다시 시도하세요.',
  FH_ERR_DATABASE_UNAVAILABLE: '지금은 데이터베이스에 연결할 수 없습니다. 잠시 후 다시 시도하세요.',
  FH_ERR_STORAGE_UNAVAILABLE: '지금은 객체 저장소가 실패하거나 응답하지 않습니다. 잠시 후 다시 시도하세요.',
  FH_ERR_ORIGIN_UNAVAILABLE:
    '이 요청에 응답한 오리진 서버가 없습니다(framehouse edge가 차례로 모두 시도했습니다).',
  FH_ERR_EMPTY_FILE: '파일이 비어 있습니다(0바이트).',
  FH_ERR_NOT_MEDIA: '읽을 수 있는 오디오나 동영상 파일이 아닙니다.',
  FH_ERR_LIVE_MEDIA_INVALID: '라이브 인코더가 보낸 fMP4(fragmented MP4)를 읽을 수 없어 스트림을 멈췄습니다.',
  FH_ERR_MEDIA_DAMAGED: '미디어 파일로 보이지만 손상되었거나 잘려 있습니다.',
  FH_ERR_UNSUPPORTED_MEDIA: '지원하지 않는 종류의 파일입니다.',
  FH_ERR_PRESET_NOT_FOUND: '이 이름의 프리셋이 없습니다.',
  FH_ERR_BATCH_NOT_FOUND: '이 ID의 일괄 작업이 없습니다.',
  FH_ERR_NOT_AN_IMAGE: '이 미디어는 이미지가 아닙니다.',
  FH_ERR_IMAGE_TOO_LARGE: '이미지가 이 서버가 처리하는 크기보다 큽니다.',
  FH_ERR_IMG_SIGNATURE: '이미지 URL에 서명이 없거나 서명이 맞지 않습니다.',
  FH_ERR_IMG_OPTIONS: '이미지 URL에 이 서버가 이해하지 못하는 옵션이 있습니다.',
  FH_ERR_RAW_DECODER_MISSING:
    '카메라 RAW 파일을 처리하려면 LibRaw 도구가 필요합니다. 데비안 패키지 libraw-bin을 설치하세요.',
  FH_ERR_PLAYLIST_REJECTED: '재생 목록과 참조 파일(HLS, DASH, concat)은 원본으로 받지 않습니다.',
  FH_ERR_LIVE_NO_MEDIA: '인코더가 연결되었지만 쓸 수 있는 오디오나 동영상 설정을 보내지 않았습니다.',
  FH_ERR_CHAT_SIGN_IN_REQUIRED: '로그인한 시청자만 참여할 수 있는 채팅입니다. 로그인하세요.',
  FH_ERR_CHAT_BANNED: '이 채팅에서는 더 이상 메시지를 보낼 수 없습니다.',
  FH_ERR_CHAT_VIEWER_REQUIRED:
    '먼저 채팅에 참여하세요. Framehouse-Viewer 헤더에 올바른 시청자 토큰이 있어야 합니다.',
  FH_ERR_CHAT_NICKNAME_INVALID: '닉네임은 제어 문자 없이 1~32자여야 합니다.',
  FH_ERR_CHAT_MESSAGE_INVALID:
    '메시지는 일반 텍스트여야 합니다. 비어 있지 않고, 방에서 허용하는 길이 이하이며, 제어 문자가 없어야 합니다.',
  FH_ERR_CHAT_RATE_LIMITED: '메시지를 너무 빨리 보내고 있습니다. 잠시 기다리세요.',
  FH_ERR_ROOM_STREAMS_PER_ADDRESS:
    '이 주소에서 열린 라이브 방 스트림이 너무 많습니다. 일부를 닫거나 Retry-After에 적힌 시간만큼 기다리세요.',
  FH_ERR_ROOM_FULL:
    '이 서버는 열 수 있는 최대 수의 라이브 방 스트림을 열고 있습니다. Retry-After에 적힌 시간이 지난 뒤 다시 시도하세요.',
  FH_ERR_CHAT_SLOW_MODE: '슬로 모드가 켜져 있습니다. 다음 메시지를 보내기 전에 기다리세요.',
  FH_ERR_CHAT_PAUSED: '진행자가 채팅을 일시 중지했습니다.',
  FH_ERR_CHAT_MESSAGE_NOT_FOUND: '이 방에 이 ID의 메시지가 없습니다.',
  FH_ERR_CHAT_VIEWER_NOT_FOUND: '이 방에 이 ID의 시청자가 없습니다.',
  FH_ERR_CHAT_BAN_NOT_FOUND: '이 방에 이 ID의 차단이 없습니다.',
  FH_ERR_PRODUCT_NOT_FOUND: '이 방에 이 ID의 상품이 없습니다.',
  FH_ERR_PRODUCT_ORDER_INVALID: '순서에는 방의 모든 상품이 정확히 한 번씩 있어야 합니다.',
  FH_ERR_ROOM_ASSET_INVALID: '미디어가 있어야 하며, 이미지이거나 재생 ID가 있는 동영상이어야 합니다.',
  FH_ERR_BROADCAST_NOT_FOUND: '이 라이브 스트림에 그런 방송이 없습니다.',
  FH_ERR_QOE_REPORT_INVALID:
    '보고가 올바르지 않습니다. 각 줄은 e, ts, sid, cid가 있는 CMCD 딕셔너리여야 합니다.',
  FH_ERR_QOE_UNKNOWN_CONTENT: '보고에 이 서버의 재생 ID(cid)가 없습니다.',
  FH_ERR_QOE_DISABLED: '이 서버에서는 시청자 분석이 꺼져 있습니다(FRAMEHOUSE_QOE=false). 보고를 멈추세요.',
  FH_ERR_QOE_UNAVAILABLE: '지금은 보고를 저장할 수 없습니다. 잠시 후 다시 보내세요.',
  FH_ERR_ASSET_NOT_IN_TRASH: '이 미디어는 휴지통에 없습니다.',
  FH_ERR_SOURCE_DROPPED:
    '저장소 수명 주기 규칙에 따라 이 미디어의 원본이 삭제되었습니다. 다시 인코딩할 수 없습니다.',
  FH_ERR_BACKUP_NOT_FOUND: '이 ID의 백업이 없습니다.',
  FH_ERR_BACKUP_TARGET: '백업 대상을 읽거나 쓸 수 없습니다.',
  FH_ERR_BACKUP_INCOMPLETE:
    '백업이 불완전하거나 손상되었습니다(매니페스트가 없거나 체크섬이 다른 파일이 있습니다).',
  FH_ERR_BACKUP_NEWER:
    '더 새로운 Framehouse로 만든 백업입니다(이 버전이 모르는 마이그레이션이 있습니다). 먼저 업그레이드하세요.',
  FH_ERR_BACKUP_PASSPHRASE: '이 암호로는 이 백업의 비밀 정보를 열 수 없습니다.',
  FH_ERR_BACKUP_RUNNING: '이미 백업이 진행 중입니다.',
  FH_ERR_RESTORE_SERVERS_RUNNING: '복원할 데이터베이스를 아직 서버가 쓰고 있습니다. 먼저 서버를 멈추세요.',
  FH_ERR_RESTORE_TARGET_NOT_EMPTY:
    '복원할 데이터베이스나 객체 저장소가 비어 있지 않습니다. 덮어쓰려면 --force로 복원하세요.',
  FH_ERR_MEDIA_TIMEOUT: '파일 처리가 제한 시간보다 오래 걸렸습니다.',
  FH_ERR_TRANSCODE_FAILED: '파일 트랜스코딩에 실패했습니다.',
  FH_ERR_PROCESSING_FAILED:
    '서버 쪽에서 실패가 반복되어 처리를 멈췄습니다. 자세한 내용은 서버 로그에 있습니다.',
};

/**
 * Korean messages that say a refusal's own numbers, chosen by src/i18n/error-messages.ts from the
 * error's details or its Retry-After (a quota's other sentences are the quota mails' words).
 */
export const NUMBERED_MESSAGES_KO = {
  rateLimited: (seconds: string) => `요청이 너무 많습니다. ${seconds}초 후에 다시 시도하세요.`,
  storageUpload: (p: { requested: string; used: string; limit: string }) =>
    `이 업로드(${p.requested})를 받으면 저장소 할당량을 초과하게 됩니다(사용량 ${p.used}, 할당량 ${p.limit}).`,
};
