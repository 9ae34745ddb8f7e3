// electron-builder configuration: installers for macOS (dmg, arm64 + x64), Windows (nsis, x64) and
// Linux (AppImage + deb, x64). Native code must live outside the asar archive to be loadable: our
// addon, and onnxruntime-node's whole bin/ folder (the .node binding and the shared libraries
// beside it, e.g. libonnxruntime.so / onnxruntime.dll / the CUDA and WebGPU providers).
/** @type {import('electron-builder').Configuration} */
module.exports = {
  appId: 'app.apollo.desktop',
  productName: 'Apollo Desktop',
  directories: { output: 'out', buildResources: 'build' },
  files: [
    'dist/**/*',
    'bin/**/*',
    'resources/**/*',
    'native/build/Release/*.node',
    'package.json',
    '!**/*.map',
  ],
  extraMetadata: { main: 'dist/main.mjs' },
  asar: true,
  asarUnpack: [
    'native/build/Release/*.node',
    'node_modules/onnxruntime-node/bin/**/*',
    'node_modules/ffmpeg-static/**/*',
    'node_modules/@ffprobe-installer/**/*',
  ],
  npmRebuild: true,
  electronFuses: {
    runAsNode: false,
    enableCookieEncryption: true,
    enableNodeOptionsEnvironmentVariable: false,
    enableNodeCliInspectArguments: false,
    enableEmbeddedAsarIntegrityValidation: true,
    onlyLoadAppFromAsar: true,
    grantFileProtocolExtraPrivileges: false,
  },
  mac: {
    category: 'public.app-category.video',
    target: [{ target: 'dmg', arch: ['arm64', 'x64'] }],
    hardenedRuntime: true,
  },
  win: {
    target: [{ target: 'nsis', arch: ['x64'] }],
  },
  nsis: { oneClick: false, allowToChangeInstallationDirectory: true },
  linux: {
    target: [
      { target: 'AppImage', arch: ['x64'] },
      { target: 'deb', arch: ['x64'] },
    ],
    category: 'Video',
    maintainer: 'Apollo Desktop <apollo-desktop@users.noreply.github.com>',
  },
  deb: { depends: ['ffmpeg'] },
};
