#!/usr/bin/env bash
# Regenerates the app icons (committed) from a drawing made with ImageMagick:
# a Marianne-blue tile with a white padlock and a red stripe. Run when the design changes.
set -euo pipefail
cd "$(dirname "$0")"
magick_cmd=convert; command -v magick >/dev/null 2>&1 && magick_cmd=magick
$magick_cmd -size 1024x1024 xc:none \
    -fill '#000091' -draw 'roundrectangle 64,64 960,960 160,160' \
    -fill '#e1000f' -draw 'rectangle 64,820 960,880' \
    -fill none -stroke white -strokewidth 56 -draw 'arc 352,200 672,520 180,360' \
    -stroke none -fill white -draw 'roundrectangle 300,400 724,760 40,40' \
    -fill '#000091' -draw 'circle 512,560 512,610' -draw 'rectangle 492,560 532,680' \
    PNG32:icon.png
for s in 32 128 256; do $magick_cmd icon.png -resize ${s}x${s} PNG32:${s}x${s}.png; done
$magick_cmd icon.png -resize 256x256 PNG32:128x128@2x.png
$magick_cmd icon.png -define icon:auto-resize=256,128,64,48,32,16 icon.ico
