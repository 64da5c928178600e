/**
 * The words of every e-mail Framehouse sends, in each language it speaks (src/i18n/locales.ts).
 *
 * Why not Paraglide, as the web app does (web/messages): the server runs its TypeScript sources
 * directly (Node's type stripping), with no build step that could compile a catalogue, and its
 * texts are few. So the catalogue is plain TypeScript: `en` says what there is to say, and
 * `ko: MailMessages` must have exactly the same keys and the same function signatures — a key
 * missing, extra or taking other arguments fails `npm run typecheck`.
 *
 * Numbers, sizes and dates arrive formatted (src/i18n/format.ts, Intl for the reader's locale):
 * the messages only place them. Counts are worded so that no plural rule is needed (Korean has
 * none; English ones are written out where they occur).
 */
import type { Locale } from './locales.ts';

export type QuotaKind = 'storage_bytes' | 'encoding_minutes_per_month' | 'live_streams';

const en = {
  asset: {
    untitled: 'Your upload',
    readySubject: (title: string) => `Ready to watch: ${title}`,
    ready: (title: string) => `"${title}" is processed and ready to watch and share.`,
    readyLink: 'Watch it',
    failedSubject: (title: string) => `Could not process: ${title}`,
    failed: (title: string, reason: string | null) =>
      `"${title}" could not be processed${reason ? `: ${reason}` : '.'}`,
    failedLink: 'See the details',
    footer: 'You get these messages for the videos you upload. Turn them off in your settings.',
  },
  passwordReset: {
    subject: 'Reset your Framehouse password',
    asked: (email: string) => `Someone (hopefully you) asked to reset the password of ${email}.`,
    within:
      'Open this link within an hour to choose a new one. If it was not you, ignore this message: nothing changes.',
    link: 'Choose a new password',
    footer: 'Sent because a password reset was requested for this address.',
  },
  signIn: {
    subject: 'New sign-in to your Framehouse account',
    happened: (p: { email: string; when: string; address: string | null; agent: string | null }) =>
      `Your account ${p.email} was signed in to at ${p.when} from ${p.address ?? 'an unknown address'}${p.agent ? ` (${p.agent})` : ''}.`,
    advice:
      'If this was you, there is nothing to do. If not, change your password now and sign out everywhere from your settings.',
    link: 'Open your settings',
    footer: 'Security notices are always sent: they tell you when someone else may be using your account.',
  },
  backupFailed: {
    subject: (code: string | null) => `Backup failed${code ? `: ${code}` : ''}`,
    happened: (p: { fromCli: boolean; id: string | null; started: string | null; reason: string }) =>
      `${p.fromCli ? 'A backup run from the command line' : 'The scheduled backup'}${p.id ? ` (${p.id})` : ''}${p.started ? `, started ${p.started},` : ''} failed: ${p.reason}`,
    noReason: 'no reason was recorded',
    verification: (problems: string) => `Its verification found: ${problems}`,
    consequence:
      'Until a backup succeeds, the newest good backup is older than you planned. The next scheduled run tries again.',
    link: 'See the backups',
    footer: 'You get this message because you are an admin of this Framehouse server.',
  },
  quota: {
    title: {
      storage_bytes: 'Storage',
      encoding_minutes_per_month: 'Encoding minutes',
      live_streams: 'Live streams',
    } satisfies Record<QuotaKind, string>,
    reachedSubject: (title: string) => `${title}: your quota is reached`,
    levelSubject: (title: string, percent: string) => `${title}: ${percent} % of your quota used`,
    /** `percent` null: the quota is reached. */
    storageUsed: (p: { used: string; limit: string; percent: string | null }) =>
      p.percent === null
        ? `Your storage holds ${p.used}: your quota of ${p.limit} is reached.`
        : `Your storage holds ${p.used}: ${p.percent} % of your quota of ${p.limit}.`,
    encodingUsed: (p: { used: string; limit: string; percent: string | null; month: string }) =>
      p.percent === null
        ? `You have used ${p.used} of encoding in ${p.month} (UTC): your quota of ${p.limit} a month is reached.`
        : `You have used ${p.used} of encoding in ${p.month} (UTC): ${p.percent} % of your quota of ${p.limit} a month.`,
    /** A publish refused at the limit: `receiving` streams were on air already. */
    liveRefused: (p: { receiving: number; receivingText: string; limit: string }) =>
      `A publish to one of your live streams was refused: ${p.receiving === 1 ? 'one of your live streams is' : `${p.receivingText} of your live streams are`} already receiving one, and your quota is ${p.limit} at once.`,
    liveOnAir: (p: { receiving: number; receivingText: string; limit: string }) =>
      `${p.receivingText} live stream${p.receiving === 1 ? ' of yours is' : 's of yours are'} receiving a publish: your quota is ${p.limit} at once.`,
    /** What is refused once a quota is full (the mails' "At 100 %, …"; the Korean API refusal). */
    whenFull: {
      storage_bytes:
        'new uploads are refused until you free some space (delete assets, empty the trash) or an administrator raises your quota.',
      encoding_minutes_per_month:
        'new uploads are refused until the month ends (UTC) or an administrator raises your quota.',
      live_streams:
        'a publish to one more of your live streams is refused; the stream stays idle until another of yours ends.',
    } satisfies Record<QuotaKind, string>,
    atTheLimit: (whenFull: string) => `At 100 %, ${whenFull}`,
    adminCanRaise: 'An administrator of this server can raise your quota.',
    link: 'See your usage',
    footer: 'You get this message because a quota is set for your account on this Framehouse server.',
  },
};

export type MailMessages = typeof en;

const ko: MailMessages = {
  asset: {
    untitled: '업로드한 미디어',
    readySubject: (title) => `시청 준비 완료: ${title}`,
    ready: (title) => `"${title}" 처리가 끝났습니다. 이제 시청하고 공유할 수 있습니다.`,
    readyLink: '바로 보기',
    failedSubject: (title) => `처리 실패: ${title}`,
    failed: (title, reason) => `"${title}" 처리에 실패했습니다${reason ? `: ${reason}` : '.'}`,
    failedLink: '자세히 보기',
    footer: '업로드한 미디어에 대한 알림입니다. 설정에서 끌 수 있습니다.',
  },
  passwordReset: {
    subject: 'Framehouse 비밀번호 재설정',
    asked: (email) => `${email} 계정의 비밀번호 재설정이 요청되었습니다.`,
    within:
      '한 시간 안에 이 링크를 열어 새 비밀번호를 정하세요. 직접 요청하지 않았다면 이 메일을 무시하세요. 아무것도 바뀌지 않습니다.',
    link: '새 비밀번호 정하기',
    footer: '이 주소로 비밀번호 재설정이 요청되어 보낸 메일입니다.',
  },
  signIn: {
    subject: '새 로그인 알림: Framehouse 계정',
    happened: (p) =>
      `${p.when}에 ${p.address ?? '알 수 없는 주소'}에서 ${p.email} 계정으로 로그인했습니다${p.agent ? ` (${p.agent})` : ''}.`,
    advice:
      '본인이 로그인했다면 따로 할 일은 없습니다. 본인이 아니라면 지금 비밀번호를 바꾸고 설정에서 모든 기기에서 로그아웃하세요.',
    link: '설정 열기',
    footer:
      '보안 알림은 항상 보내 드립니다. 다른 사람이 계정을 사용하고 있을지도 모를 때 알려 드리기 위해서입니다.',
  },
  backupFailed: {
    subject: (code) => `백업 실패${code ? `: ${code}` : ''}`,
    happened: (p) => {
      // One parenthesis for what is known of it: 예약된 백업(bk1, 시작: …)이
      const about = [p.id, p.started ? `시작: ${p.started}` : null].filter((v) => v !== null);
      return `${p.fromCli ? '명령줄에서 실행한 백업' : '예약된 백업'}${about.length ? `(${about.join(', ')})` : ''}이 실패했습니다: ${p.reason}`;
    },
    noReason: '기록된 이유가 없습니다',
    verification: (problems) => `검증에서 발견된 문제: ${problems}`,
    consequence:
      '백업이 성공할 때까지는 가장 최근의 정상 백업이 계획보다 오래된 상태입니다. 다음 예약 실행에서 다시 시도합니다.',
    link: '백업 보기',
    footer: '이 Framehouse 서버의 관리자이므로 이 메일을 받았습니다.',
  },
  quota: {
    title: {
      storage_bytes: '저장소',
      encoding_minutes_per_month: '인코딩 시간',
      live_streams: '라이브 스트림',
    },
    reachedSubject: (title) => `${title}: 할당량에 도달했습니다`,
    levelSubject: (title, percent) => `${title}: 할당량의 ${percent}%를 사용했습니다`,
    storageUsed: (p) =>
      p.percent === null
        ? `저장소 사용량 ${p.used}: 할당량 ${p.limit}에 도달했습니다.`
        : `저장소 사용량 ${p.used}: 할당량 ${p.limit} 중 ${p.percent}%를 사용했습니다.`,
    encodingUsed: (p) =>
      p.percent === null
        ? `${p.month}(UTC) 인코딩 사용량 ${p.used}: 월 할당량 ${p.limit}에 도달했습니다.`
        : `${p.month}(UTC) 인코딩 사용량 ${p.used}: 월 할당량 ${p.limit} 중 ${p.percent}%를 사용했습니다.`,
    liveRefused: (p) =>
      `라이브 스트림 방송이 거부되었습니다: 이미 라이브 스트림 ${p.receivingText}개가 방송 중이며, 동시 방송 할당량은 ${p.limit}개입니다.`,
    liveOnAir: (p) =>
      `라이브 스트림 ${p.receivingText}개가 방송 중입니다: 동시 방송 할당량은 ${p.limit}개입니다.`,
    whenFull: {
      storage_bytes:
        '공간을 비우거나(미디어 삭제, 휴지통 비우기) 관리자가 할당량을 늘릴 때까지 새 업로드가 거부됩니다.',
      encoding_minutes_per_month:
        '그달이 끝나거나(UTC 기준) 관리자가 할당량을 늘릴 때까지 새 업로드가 거부됩니다.',
      live_streams:
        '라이브 스트림을 하나 더 방송하려 할 때 거부되며, 다른 방송이 끝날 때까지 그 스트림은 대기 상태로 남습니다.',
    },
    atTheLimit: (whenFull) => `100%가 되면 ${whenFull}`,
    adminCanRaise: '이 서버의 관리자가 할당량을 늘릴 수 있습니다.',
    link: '사용량 보기',
    footer: '이 Framehouse 서버에서 계정에 할당량이 설정되어 있어 이 메일을 받았습니다.',
  },
};

const CATALOGUE: Record<Locale, MailMessages> = { en, ko };

/** The mail texts in `locale`. */
export const mailMessages = (locale: Locale): MailMessages => CATALOGUE[locale];
