#!/usr/bin/env bash
# The CLIP-Dissect concept study end to end, model -> image encoder -> describe -> venn -> plot,
# on the demo zoo: the fine (10-class) and the coarse (3-task) ResNet, layer3 and layer4.
# No CLIP weights can be downloaded here, so by default a stand-in plays CLIP: the zoo VGG's
# logits are the image embeddings and each class name's one-hot vector its text embedding
# (P[x, t] is then the cosine between image x's VGG logits and class t).
# With CLIP (see the README for making both files once):
#   CLIP=clip-image.onnx CONCEPTS=20k.arrows IMAGES=probe/ examples/describe/run.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
bin=$root/node_modules/.bin
out=${OUT:-$root/out/describe}
images=${IMAGES:-$root/examples/data/fashion-mnist/test}
mkdir -p "$out"

"$bin/extract" --model "$root/examples/zoo/resnet.onnx" --layer layer3 --layer layer4 "$images" -o "$out/fine.arrows"
"$bin/extract" --model "$root/examples/zoo/resnet-coarse.onnx" --layer layer3 --layer layer4 "$images" -o "$out/coarse.arrows"
if [ -n "${CLIP:-}" ]; then
  "$bin/extract" --model "$CLIP" --logits --size 224 --resize 224 \
    --mean 0.4815,0.4578,0.4082 --std 0.2686,0.2613,0.2758 "$images" -o "$out/clip-images.arrows"
  concepts=$CONCEPTS
else
  "$bin/extract" --model "$root/examples/zoo/vgg.onnx" --logits "$images" -o "$out/clip-images.arrows"
  # One row per class of the VGG's output, a one-hot vector: a word then 10 numbers.
  node -e '
    const zoo = require(process.argv[1]);
    const classes = zoo.models.find((m) => m.name === "vgg").classes;
    console.log(["concept", ...classes.map((_, j) => "e" + j)].join(","));
    classes.forEach((c, i) => console.log([c, ...classes.map((_, j) => (i === j ? 1 : 0))].join(",")));
  ' "$root/examples/zoo/zoo.json" > "$out/concepts.csv"
  "$bin/csv" --to-arrow --kind embeddings "$out/concepts.csv" -o "$out/concepts.arrows"
  concepts=$out/concepts.arrows
fi
for model in fine coarse; do
  "$bin/describe" --activations "$out/$model.arrows" --image-embeddings "$out/clip-images.arrows:logits" \
    --concepts "$concepts" --keep 2 -o "$out/$model-concepts.arrows"
  "$bin/csv" "$out/$model-concepts.arrows" > "$out/$model-descriptions.csv"   # CLIP-Dissect's columns
done
"$bin/venn" "$out/fine-concepts.arrows" "$out/coarse-concepts.arrows" --names fine,coarse --report per-layer -o "$out/per-layer.arrows"
"$bin/venn" "$out/fine-concepts.arrows" "$out/coarse-concepts.arrows" --names fine,coarse --report summary -o "$out/summary.arrows"
"$bin/plot" venn "$out/summary.arrows" -o "$out/venn.svg"
"$bin/show" "$out/per-layer.arrows"
echo "describe: descriptions in $out/{fine,coarse}-descriptions.csv, Venn diagram in $out/venn.svg"
