"""The layers read together: an error that enters backprop at one layer and propagates backwards.

When the blocks of one layer l and of layers before it have bugs and no block of layers 1..l
passes (explained and all-zero blocks count neither way), the error enters backprop at layer l
and each of those blocks gets kind "propagated", unless every one shows one common factor and
the error reaches the output layer (a flipped or scaled loss gradient: kinds "sign" and
"scale"). What can put an error into layer l's dZ is named only for the built-in network,
whose layers gradviz knows; for any other model the layer is named and the cause is not guessed.
"""

from __future__ import annotations

import numpy as np

from gradviz.core.diagnosis.context import Context, Diagnosis, gradient_name


def read_layers(context: Context, found: dict[str, Diagnosis | None]) -> dict[str, Diagnosis]:
    """Re-read the bug diagnoses of a prefix of layers as one error that propagates backwards."""
    bugs = {name: d for name, d in found.items() if d is not None and d.is_bug}
    L = context.n_layers()
    if not bugs or L is None or any(context.layer_of(n) is None or d.kind == "unused"
                                    for n, d in bugs.items()):
        return {}
    entry = max(context.layer_of(n) for n in bugs)
    present = {n: context.layer_of(n) for n in context.report.blocks}
    # a passing block contradicts; explained and all-zero blocks neither confirm nor contradict
    if any(layer is not None and layer <= entry and found[n] is None and not _all_zero(context, n)
           for n, layer in present.items()):
        return {}
    earlier = any(present[n] < entry for n in bugs)
    if not earlier and not all(f"{p}{entry}" in bugs for p in "Wb"):
        return {}
    factors = {d.factor for d in bugs.values() if d.kind in ("scale", "sign")}
    common = None
    if len(factors) and all(d.kind in ("scale", "sign") for d in bugs.values()):
        values = np.array(sorted(factors))
        if values[0] != 0 and np.ptp(values) <= 0.01 * abs(values).max():
            common = float(values.mean())
    if entry == L and common is not None:
        note = ("every block is flipped: look at the sign of the loss gradient" if common < 0 else
                "every block is scaled alike: look at the loss gradient and the output layer's "
                "activation derivative")
        return {n: Diagnosis(n, d.kind, f"{d.message} ({note})", d.factor) for n, d in bugs.items()}
    names = sorted(bugs, key=lambda n: (present[n], n))
    listed = ", ".join(gradient_name(n) for n in names)
    layers = "layer 1" if entry == 1 else f"layers 1 to {entry}"
    later = ""
    if entry < L:
        later = (f", while layer {L} shows no bug" if entry + 1 == L
                 else f", while layers {entry + 1} to {L} show no bug")
    factor = "" if common is None else f", each {common:.2f}× the numeric gradient"
    cause = f"the error enters backprop at layer {entry} and propagates backwards"
    suspects = _suspects(context, entry, L, common)
    if suspects:
        cause += f"; suspect {suspects}"
    else:
        cause += f": look at what layer {entry}'s backward step does to its gradient"
    shared = f"Every block of {layers} is wrong ({listed}{factor}){later}: {cause}"
    return {
        n: Diagnosis(
            n, "propagated",
            f"{gradient_name(n)} is wrong like every block of {layers} ({listed}{factor}){later}: "
            f"{cause}",
            layer=entry, shared=shared,
        )
        for n in bugs
    }


def _all_zero(context: Context, name: str) -> bool:
    b = context.report.blocks[name]
    return not np.any(b.analytic[b.checked]) and not np.any(b.numeric[b.checked])


def _suspects(context: Context, entry: int, L: int, common: float | None) -> str | None:
    """What in layer ``entry`` of the built-in network can put an error into dZ (None for other
    models: their layers may hold anything)."""
    spec = context.spec
    if spec is None:
        return None
    layer = spec.layers[entry - 1]
    text = f"layer {entry}'s activation derivative ({layer.activation})"
    if entry == L:
        text += " or the loss gradient"
    if layer.keep_prob < 1 and context.dropout != "off":
        kp = layer.keep_prob
        if common is not None and abs(common - kp) <= 0.01 * kp:
            return (f"layer {entry}'s dropout backprop, {kp:g}× too small as if the division by "
                    f"keep_prob = {kp:g} were missing (or {text})")
        text += f" or its dropout backprop (keep_prob {kp:g}: the mask or the 1/keep_prob)"
    return text
