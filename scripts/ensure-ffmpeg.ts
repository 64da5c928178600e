// Checks for ffmpeg/ffprobe ≥ 5 before `npm start`, `npm test` and `npm run bench`. Where they are
// missing on Debian/Ubuntu as root it installs them; elsewhere it stops with the exact command.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const MIN_MAJOR = 5;

function version(bin: string): number | null {
  const r = spawnSync(bin, ['-version'], { encoding: 'utf8' });
  if (r.status !== 0) return null;
  const m = /version n?(\d+)\./.exec(r.stdout);
  // Builds from git report e.g. "version N-112345-g…": assume current.
  return m ? Number(m[1]) : /version N-/.test(r.stdout) ? 99 : null;
}

function ok(): boolean {
  const ffmpeg = version(process.env.FRAMEHOUSE_FFMPEG_PATH ?? 'ffmpeg');
  const ffprobe = version(process.env.FRAMEHOUSE_FFPROBE_PATH ?? 'ffprobe');
  return ffmpeg !== null && ffprobe !== null && ffmpeg >= MIN_MAJOR && ffprobe >= MIN_MAJOR;
}

if (!ok()) {
  const debian = existsSync('/etc/debian_version');
  const root = process.getuid?.() === 0;
  if (debian && root) {
    process.stderr.write('ffmpeg/ffprobe ≥ 5 not found: installing Debian package ffmpeg…\n');
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
    execFileSync('apt-get', ['install', '-y', '-qq', 'ffmpeg'], { stdio: 'inherit', env });
    if (!ok()) {
      process.stderr.write('ffmpeg was installed but is older than 5: install ffmpeg 5.1 or newer.\n');
      process.exit(1);
    }
  } else {
    const how = debian
      ? 'sudo apt-get update && sudo apt-get install -y ffmpeg'
      : process.platform === 'darwin'
        ? 'brew install ffmpeg'
        : 'install ffmpeg 5.1 or newer with your package manager (it provides ffmpeg and ffprobe)';
    process.stderr.write(
      `Framehouse needs ffmpeg and ffprobe 5.1 or newer on the PATH.\nInstall them with:\n  ${how}\n`,
    );
    process.exit(1);
  }
}
