"""A fused training step for plain MLPs (Flatten, Linear, ReLU, ..., Linear) under SGD:
hand-derived gradients, preallocated buffers, no autograd graph and no per-step allocation
beyond the [K]-sized losses.

On one CPU thread a small MLP's autograd step is mostly dispatch and allocation (issue 29:
forward 140 us, backward 237, optimizer 117, loss 71, zero_grad 46 for a 40-512-10 net at batch
128); this step does the same arithmetic as explicit batched matmuls into fixed buffers and
applies torch's SGD update (weight decay, momentum, no dampening; with momentum the weight
gradients are summed into the momentum buffers by the backward's products). It
trains the same tensors the optimizer holds and keeps its momentum buffers in the optimizer's
state, so hooks, checkpoints, retiring stacked members and the eager step all see one state.
tests/engine/test_fused.py checks it against the autograd step to 1e-6; bench/bench_stack.py
takes its time apart (phases, the GEMM floor).
"""

from __future__ import annotations

import os

import torch
from torch import nn


def mlp_linears(model: nn.Module) -> list[nn.Linear] | None:
    """The Linear layers of a plain MLP (nn.Sequential of a Flatten, then Linear and ReLU
    alternating, ending in a Linear: what models.mlp and models.linear build), or None."""
    if type(model) is not nn.Sequential:
        return None
    mods = list(model)
    if not mods or type(mods[0]) is not nn.Flatten or mods[0].start_dim != 1 or mods[0].end_dim != -1:
        return None
    mods = mods[1:]
    if not mods or len(mods) % 2 == 0:
        return None
    for i, m in enumerate(mods):
        want = nn.Linear if i % 2 == 0 else nn.ReLU
        if type(m) is not want or m._forward_hooks or m._forward_pre_hooks or m._backward_hooks:
            return None
        if want is nn.Linear and (m.bias is None or len(m._parameters) != 2):
            return None
    if model._forward_hooks or model._forward_pre_hooks or list(model.buffers()):
        return None
    return mods[0::2]


def use_fused(device: torch.device, spec, augment: bool, layers: list | None) -> bool:
    """The fused step runs on a CPU, for SGD without augmentation, on plain MLPs
    (OVERFIT_TUI_FUSED=0 turns it off). On a GPU the captured graph (graphs.py) does its job."""
    return (
        layers is not None
        and device.type == "cpu"
        and spec.optimizer == "sgd"
        and not augment
        and os.environ.get("OVERFIT_TUI_FUSED", "1") != "0"
    )


class FusedMLPStep:
    """One SGD step of K stacked MLPs: gather, forward, loss, hand-derived backward, update.

    `weights[i]` [K, out, in] and `biases[i]` [K, out] are views of the live parameters;
    `params` are the optimizer's own tensors (their momentum buffers live in `opt.state`).

    Activations are kept transposed, [K, features, B] (issue 29, one thread, 9 members of a
    40-512-10 MLP at batch 128, each product timed alone in all its layouts): the last layer's
    narrow products run up to 2x faster this way round than as [K, B, 10], the first layer's weight
    gradient [512, B] @ [B, 40] ~25 % faster than [B, 512]^T @ [B, 40], the log-softmax over the
    class axis of [K, 10, B] runs along contiguous memory (~9 us against ~180 us over the last axis
    of [K, B, 10]), and every weight gradient comes out [K, out, in], the layout of the parameters
    and momentum buffers the update walks (a transposed gradient view made the update 4x slower).
    `clock`, when set, is called with each phase's name as it ends (bench/bench_stack.py's
    per-phase breakdown)."""

    PHASES = (
        "gather",
        "forward products",
        "relu",
        "loss",
        "backward products",
        "bias gradients",
        "relu gradient",
        "update",
    )

    def __init__(self, weights: list[torch.Tensor], biases: list[torch.Tensor], params: list[torch.Tensor], loss: str):
        self.w, self.b, self.params, self.loss = weights, biases, params, loss
        self.k = weights[0].shape[0]
        self._bufs: dict[int, tuple] = {}
        self._offsets: torch.Tensor | None = None
        self._moms: list[torch.Tensor] | None = None  # the momentum buffers, viewed as [K, ...] (once they exist)
        self._mom_of: list[torch.Tensor] = []  # the optimizer's buffers those views are of
        self.clock = None  # called with a phase's name as it ends (benchmarks only)

    def _buffers(self, b: int, dtype, device) -> tuple:
        """Activations and gradients for a batch of b, allocated once per batch size."""
        if b not in self._bufs:
            k, kw = self.k, {"dtype": dtype, "device": device}
            x = torch.empty(k, b, self.w[0].shape[2], **kw)
            acts = [torch.empty(k, w.shape[1], b, **kw) for w in self.w]  # each layer's output, [K, out, B]
            grads_out = [torch.empty(k, w.shape[1], b, **kw) for w in self.w]  # dL/d(output), likewise
            yb = torch.empty(k * b, dtype=torch.long, device=device)
            gw = [torch.empty_like(w) for w in self.w]
            gb = [torch.empty_like(bb) for bb in self.b]
            minus = torch.full((k, 1, b), -1.0, **kw)  # the one-hot target's gradient, scattered
            self._bufs[b] = (x, acts, grads_out, yb, gw, gb, minus)
        return self._bufs[b]

    @torch.no_grad()
    def forward_backward(self, xtr: torch.Tensor, ytr: torch.Tensor, idx: torch.Tensor) -> tuple[torch.Tensor, list]:
        """Per-member losses [K] and the gradients (weights then biases, in `params` order)."""
        losses, g, ins, (gw, gb) = self._forward(xtr, ytr, idx)
        self._backward(g, ins, gw, gb, None)
        return losses, gw + gb

    def _forward(self, xtr: torch.Tensor, ytr: torch.Tensor, idx: torch.Tensor) -> tuple:
        """Gather, forward and loss: the losses [K], dL/d(logits) [K, C, B], each layer's input
        [K, in, B] and the gradient buffers (weights, biases)."""
        k, b = idx.shape
        xs = xtr.reshape(k * xtr.shape[1], -1)
        x, acts, gout, yb, gw, gb, minus = self._buffers(b, xs.dtype, xs.device)
        tick = self.clock
        if k == 1:
            flat = idx[0]
        else:
            if self._offsets is None or len(self._offsets) != k:
                self._offsets = torch.arange(k, device=idx.device).unsqueeze(1) * xtr.shape[1]
            flat = (idx + self._offsets).view(-1)
        torch.index_select(xs, 0, flat, out=x.view(k * b, -1))
        torch.index_select(ytr.reshape(-1), 0, flat, out=yb)
        if tick is not None:
            tick("gather")
        last = len(self.w) - 1
        ins = [x.transpose(1, 2)] + acts[:-1]  # each layer's input, [K, in, B]
        for i, (w, bias) in enumerate(zip(self.w, self.b)):
            torch.baddbmm(bias.unsqueeze(2), w, ins[i], out=acts[i])
            if tick is not None:
                tick("forward products")
            if i < last:
                acts[i].relu_()
                if tick is not None:
                    tick("relu")
        out, g = acts[-1], gout[-1]  # the logits and their gradient, [K, C, B]
        y = yb.view(k, 1, b)
        if self.loss == "ce":
            torch.log_softmax(out, 1, out=g)
            losses = g.gather(1, y).mean(2).neg_().view(k)
            g.exp_().scatter_add_(1, y, minus).mul_(1.0 / b)
        else:
            g.copy_(out).scatter_add_(1, y, minus)
            losses = g.square().sum(1).mean(1)
            g.mul_(2.0 / b)
        if tick is not None:
            tick("loss")
        return losses, g, ins, (gw, gb)

    def _backward(self, g: torch.Tensor, ins: list, gw: list, gb: list, beta: float | None) -> None:
        """Backpropagate dL/d(logits) g. beta None: the gradients into gw, gb. Otherwise into the
        momentum buffers gw, gb as buf = beta * buf + grad (the weights' in the product itself:
        baddbmm's beta, one pass over the buffer instead of three)."""
        _, acts, gout, _, _, grad_b, _ = self._bufs[g.shape[2]]
        tick = self.clock
        for i in range(len(self.w) - 1, -1, -1):
            if beta is None:
                torch.bmm(g, ins[i].transpose(1, 2), out=gw[i])
            else:
                gw[i].baddbmm_(g, ins[i].transpose(1, 2), beta=beta)
            if tick is not None:
                tick("backward products")
            if beta is None:
                torch.sum(g, 2, out=gb[i])
            else:
                gb[i].mul_(beta).add_(torch.sum(g, 2, out=grad_b[i]))
            if tick is not None:
                tick("bias gradients")
            if i > 0:  # the input's gradient, through the weights as they were (the update comes after)
                torch.bmm(self.w[i].transpose(1, 2), g, out=gout[i - 1])
                if tick is not None:
                    tick("backward products")
                g = gout[i - 1]  # ReLU's gradient, as autograd takes it (a bool mask is 15x slower on CPU)
                torch.ops.aten.threshold_backward.grad_input(g, acts[i - 1], 0, grad_input=g)
                if tick is not None:
                    tick("relu gradient")

    @torch.no_grad()
    def step(self, xtr: torch.Tensor, ytr: torch.Tensor, idx: torch.Tensor, opt: torch.optim.Optimizer) -> torch.Tensor:
        """One training step; returns the per-member losses [K] (before the update).

        With momentum, torch's SGD (weight decay, no dampening) as buf = momentum * buf + grad
        (+ weight_decay * p), p -= lr * buf, with the weight gradients summed into the buffers by
        the backward's products; torch's first step (buf = grad) is the same sum from a zero
        buffer. Equal to torch's update to float rounding (1e-6 in tests/engine/test_fused.py)."""
        group = opt.param_groups[0]
        lr, mom, wd = group["lr"], group["momentum"], group["weight_decay"]
        if not mom:
            losses, grads = self.forward_backward(xtr, ytr, idx)
            self.update(grads, opt)
        else:
            moms = self._momentum(opt)
            n = len(self.w)
            losses, g, ins, _ = self._forward(xtr, ytr, idx)
            self._backward(g, ins, moms[:n], moms[n:], mom)
            vals = self.w + self.b
            if wd:
                torch._foreach_add_(moms, vals, alpha=wd)
            torch._foreach_add_(vals, moms, alpha=-lr)
        if self.clock is not None:
            self.clock("update")
        return losses

    @torch.no_grad()
    def update(self, grads: list[torch.Tensor], opt: torch.optim.Optimizer) -> None:
        """torch's single-tensor SGD update (its CPU default) with these gradients."""
        group = opt.param_groups[0]
        lr, mom, wd = group["lr"], group["momentum"], group["weight_decay"]
        vals = self.w + self.b
        # torch's single-tensor SGD, one list op per operation instead of one call per tensor:
        # on a CPU the _foreach ops run the same per-tensor kernels (the same arithmetic, in the
        # same order), without a Python round trip per tensor (~60 us of a 550 us step)
        if wd:
            torch._foreach_add_(grads, vals, alpha=wd)
        if mom:
            moms = self._momentum(opt)
            torch._foreach_mul_(moms, mom)
            torch._foreach_add_(moms, grads)
            grads = moms
        torch._foreach_add_(vals, grads, alpha=-lr)

    def _momentum(self, opt: torch.optim.Optimizer) -> list[torch.Tensor]:
        """The optimizer's momentum buffers as [K, ...] views of the live ones; zeros where the
        first step has yet to make them (torch's first step, buf = grad, is 0 * momentum + grad).
        Checked each step: a loaded checkpoint replaces them."""
        state = opt.state
        bufs = []
        for p in self.params:
            st = state[p]  # a defaultdict
            if st.get("momentum_buffer") is None:
                st["momentum_buffer"] = torch.zeros_like(p, memory_format=torch.contiguous_format)
            bufs.append(st["momentum_buffer"])
        if self._moms is None or any(a is not b for a, b in zip(self._mom_of, bufs)):
            self._mom_of, self._moms = bufs, [buf.view(v.shape) for buf, v in zip(bufs, self.w + self.b)]
        return self._moms


def fused_step_for(net, loss: str) -> FusedMLPStep | None:
    """The fused step over a SingleNet's or StackedNet's live parameters, or None if not a plain MLP."""
    layers = getattr(net, "linears", None)
    if layers is None:
        return None
    if getattr(net, "stacked", None) is not None:  # StackedNet: [K, ...] leaves, named after the layers
        ws = [net.stacked[f"{n}.weight"] for n in layers]
        bs = [net.stacked[f"{n}.bias"] for n in layers]
        return FusedMLPStep(ws, bs, ws + bs, loss)
    mods = dict(net.model.named_modules())
    ws = [mods[n].weight for n in layers]
    bs = [mods[n].bias for n in layers]
    return FusedMLPStep([w.unsqueeze(0) for w in ws], [b.unsqueeze(0) for b in bs], ws + bs, loss)
