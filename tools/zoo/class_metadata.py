"""Writes each zoo model's class names, in output order, into its ONNX metadata.

  /usr/bin/python3 tools/zoo/class_metadata.py            # examples/zoo/*.onnx from zoo.json
  /usr/bin/python3 tools/zoo/class_metadata.py --check    # exit 1 if a model lacks them

ModelProto.metadata_props gets key `cnnpipe.classes`, a JSON list (index = output index);
extract labels images by it and classify scores by it, so a folder order that differs from
the model's output order cannot silently relabel. Re-runnable: an existing value is replaced,
nothing else in the model changes. For your own export, the one line is

  onnx.helper.set_model_props(m, {"cnnpipe.classes": json.dumps(class_names)})
"""
import argparse
import json
import os
import sys

import onnx

KEY = "cnnpipe.classes"


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--zoo", default=os.path.join(os.path.dirname(__file__), "..", "..", "examples", "zoo"))
    p.add_argument("--check", action="store_true", help="only check; exit 1 where a model's metadata is missing or differs")
    args = p.parse_args(argv)
    with open(os.path.join(args.zoo, "zoo.json")) as f:
        zoo = json.load(f)
    bad = 0
    for entry in zoo["models"]:
        path = os.path.join(args.zoo, entry["file"])
        value = json.dumps(entry["classes"])
        m = onnx.load(path)
        props = {p.key: p.value for p in m.metadata_props}
        if props.get(KEY) == value:
            print(f"{entry['file']}: {KEY} up to date ({len(entry['classes'])} classes)")
            continue
        if args.check:
            print(f"{entry['file']}: {KEY} missing or different", file=sys.stderr)
            bad += 1
            continue
        props[KEY] = value
        onnx.helper.set_model_props(m, props)
        onnx.checker.check_model(m)
        onnx.save(m, path)
        print(f"{entry['file']}: {KEY} = {value}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
