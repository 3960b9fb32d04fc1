#!/usr/bin/env python3
"""Load a run folder's event files with TensorBoard's own readers and print
what they hold. Not run by CI; a manual check that `vp`'s hand-written
event files are readable by TensorBoard.

    python3 -m venv /tmp/venv-tb && /tmp/venv-tb/bin/pip install tensorboard
    /tmp/venv-tb/bin/python scripts/check_tensorboard_events.py RUN_DIR
"""
import sys

from tensorboard.backend.event_processing import event_accumulator
from tensorboard.backend.event_processing import plugin_event_accumulator
from tensorboard.plugins.hparams import plugin_data_pb2


def main(run_dir):
    acc = event_accumulator.EventAccumulator(run_dir, size_guidance={"scalars": 0, "images": 0})
    acc.Reload()
    tags = acc.Tags()
    for tag in sorted(tags["scalars"]):
        events = acc.Scalars(tag)
        print(f"scalar {tag}: {len(events)} points, last step {events[-1].step} value {events[-1].value:.6g}")
    for tag in tags["images"]:
        images = acc.Images(tag)
        print(f"image {tag}: {len(images)} images, {images[-1].width}x{images[-1].height}")
    assert tags["scalars"], "no scalars read"

    plugin_acc = plugin_event_accumulator.EventAccumulator(run_dir)
    plugin_acc.Reload()
    for plugin in ("hparams", "text"):
        content = plugin_acc.PluginTagToContent(plugin)
        print(f"plugin {plugin}: tags {sorted(content)}")
        if plugin == "hparams":
            for tag, raw in content.items():
                data = plugin_data_pb2.HParamsPluginData.FromString(raw)
                if data.HasField("session_start_info"):
                    hp = data.session_start_info.hparams
                    print("  hparams:", {k: v.WhichOneof("kind") and getattr(v, v.WhichOneof("kind")) for k, v in hp.items()})
    print("OK")


if __name__ == "__main__":
    main(sys.argv[1])
