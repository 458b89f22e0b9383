#!/usr/bin/env bash
# Regenerates the app icons (committed) from one drawing, source.png, made with
# ImageMagick: a Marianne-blue tile with a white padlock and a red stripe. Every
# size the bundler wants is derived from it by the Tauri CLI (`tauri icon`). Run
# when the design changes (needs npm dependencies: scripts/ui-assets).
set -euo pipefail
cd "$(dirname "$0")"
magick_cmd=convert; command -v magick >/dev/null 2>&1 && magick_cmd=magick
$magick_cmd -size 1024x1024 xc:none \
    -fill '#000091' -draw 'roundrectangle 64,64 960,960 160,160' \
    -fill '#e1000f' -draw 'rectangle 64,820 960,880' \
    -fill none -stroke white -strokewidth 56 -draw 'arc 352,200 672,520 180,360' \
    -stroke none -fill white -draw 'roundrectangle 300,400 724,760 40,40' \
    -fill '#000091' -draw 'circle 512,560 512,610' -draw 'rectangle 492,560 532,680' \
    PNG32:source.png
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
../node_modules/.bin/tauri icon source.png -o "$out" >/dev/null 2>&1
# Linux packages (hicolor theme sizes), the window icon, and the Windows .ico
# (16 to 256 px). The Store, macOS, iOS and Android sets are not shipped.
for f in 32x32.png 64x64.png 128x128.png 128x128@2x.png icon.png icon.ico; do
    cp "$out/$f" "$f"
done
