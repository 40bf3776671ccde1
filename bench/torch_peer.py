#!/usr/bin/python3
"""Plain PyTorch peer of bench/recommend_bench.cpp: GRU4Rec and SASRec as Sextant builds them.

Usage: torch_peer.py FILE SETTINGS.json

SETTINGS.json is the JSON that recommend_bench printed for the same model: the peer reads the
model name and every hyper-parameter from it, so that both sides train alike. It prints one JSON
object on stdout with the same fields (phases, learning curve, test metrics).

What it replicates (see src/sextant/recommend/*.cpp):
- reading: MovieLens "user::item::rating::time" lines; users and items numbered in order of first
  appearance; each user's events sorted by time, ties in file order;
- the leave-last-out split (split.cpp): train = all but the last two items, valid = the one before
  last, test = the last; users with fewer than 3 items left out;
- GRU4Rec (gru4rec.cpp): embedding (id + 1, 0 padding) -> dropout -> 1-layer GRU over packed
  sequences -> dropout -> linear to all items, full-softmax cross-entropy at every position,
  windows of max_len + 1 items cut from the end of every training sequence;
- SASRec (sasrec.cpp, sasrec_net.h): scaled item embeddings plus learned positions counted from
  the right, pre-norm blocks with causal attention over real positions, final layer norm, output
  shared with the input embedding, BCE with sampled negatives excluding the user's training items,
  Glorot-normal init of every matrix; one example per user: the last max_len + 1 training items;
- training (torch_trainer.cpp, trainer.cpp): Adam, a shuffled example order per epoch, validation
  NDCG@10 after every epoch, the best epoch's weights kept and restored;
- evaluation (evaluate.cpp): full ranking over all items, the user's history masked, a target in
  the history a miss, ties against the target.
"""

import copy
import json
import math
import os
import random
import resource
import sys
import time

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils import rnn


def read_split(path):
    """Returns (n_items, train, valid, test, n_rows) as Sextant's reader and split make them."""
    user_ids = {}
    item_ids = {}
    events = []  # per user: (time, item)
    n_rows = 0
    with open(path, "rb") as f:
        for line in f:
            parts = line.rstrip(b"\r\n").split(b"::")
            if len(parts) != 4:
                raise ValueError(f"{path}:{n_rows + 1}: not a user::item::rating::time line")
            n_rows += 1
            u = user_ids.setdefault(parts[0], len(user_ids))
            i = item_ids.setdefault(parts[1], len(item_ids))
            if u == len(events):
                events.append([])
            events[u].append((int(parts[3]), i))
    names = [0] * len(item_ids)
    for text, i in item_ids.items():
        names[i] = int(text)
    train, valid, test = [], [], []
    for rows in events:
        rows.sort(key=lambda r: r[0])  # stable: ties keep file order
        seq = [i for _, i in rows]
        if len(seq) < 3:
            continue
        train.append(seq[:-2])
        valid.append(seq[-2])
        test.append(seq[-1])
    check = {
        "n_users": len(train),
        "n_items": len(item_ids),
        "train_items": sum(len(s) for s in train),
        "valid_item_id_sum": sum(names[i] for i in valid),
        "test_item_id_sum": sum(names[i] for i in test),
    }
    return len(item_ids), train, valid, test, n_rows, check


# ---------------------------------------------------------------------------------------------
# GRU4Rec


class Gru4RecNet(nn.Module):
    def __init__(self, n_items, s):
        super().__init__()
        self.embedding = nn.Embedding(n_items + 1, s["embedding_dim"], padding_idx=0)
        self.gru = nn.GRU(s["embedding_dim"], s["hidden_size"], batch_first=True)
        self.dropout = nn.Dropout(s["dropout"])
        self.output = nn.Linear(s["hidden_size"], n_items)

    def run(self, inputs, lengths):
        x = self.dropout(self.embedding(inputs))
        packed = rnn.pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
        return self.gru(packed)

    def loss(self, inputs, lengths, targets):
        packed, _ = self.run(inputs, lengths)
        states, _ = rnn.pad_packed_sequence(packed, batch_first=True)
        mask = torch.arange(states.size(1)).unsqueeze(0) < lengths.unsqueeze(1)
        return F.cross_entropy(self.output(self.dropout(states[mask])), targets)

    def scores(self, inputs, lengths):
        _, last = self.run(inputs, lengths)
        return self.output(last[0])


def gru4rec_windows(train, max_len):
    """Windows of up to max_len + 1 items from the end, overlapping by one (add_windows)."""
    windows = []
    for seq in train:
        end = len(seq)
        while end >= 2:
            begin = end - (max_len + 1) if end > max_len + 1 else 0
            windows.append(seq[begin:end])
            if begin == 0:
                break
            end = begin + 1
    return windows


class Gru4RecTask:
    def __init__(self, n_items, train, s):
        self.net = Gru4RecNet(n_items, s)
        self.max_len = s["max_len"]
        self.examples = gru4rec_windows(train, self.max_len)

    def batch_loss(self, examples):
        windows = [self.examples[e] for e in examples]
        width = max(len(w) - 1 for w in windows)
        inputs = torch.zeros(len(windows), width, dtype=torch.long)
        lengths = torch.tensor([len(w) - 1 for w in windows], dtype=torch.long)
        targets = []
        for r, w in enumerate(windows):
            inputs[r, : len(w) - 1] = torch.tensor(w[:-1]) + 1
            targets.extend(w[1:])
        targets = torch.tensor(targets, dtype=torch.long)
        return self.net.loss(inputs, lengths, targets), len(targets)

    def score(self, histories):
        cut = [h[-self.max_len :] for h in histories]
        width = max(len(h) for h in cut)
        inputs = torch.zeros(len(cut), width, dtype=torch.long)
        for r, h in enumerate(cut):
            inputs[r, : len(h)] = torch.tensor(h) + 1
        lengths = torch.tensor([len(h) for h in cut], dtype=torch.long)
        return self.net.scores(inputs, lengths)


# ---------------------------------------------------------------------------------------------
# SASRec


class Block(nn.Module):
    def __init__(self, s):
        super().__init__()
        d = s["hidden"]
        self.n_heads = s["n_heads"]
        self.attention_norm = nn.LayerNorm(d)
        self.in_projection = nn.Linear(d, 3 * d)
        self.out_projection = nn.Linear(d, d)
        self.attention_dropout = nn.Dropout(s["attention_dropout"])
        self.feed_forward_norm = nn.LayerNorm(d)
        self.feed_forward_in = nn.Linear(d, d)
        self.feed_forward_out = nn.Linear(d, d)
        self.dropout = nn.Dropout(s["dropout"])

    def forward(self, x, bias):
        b, t, d = x.shape
        head = d // self.n_heads
        qkv = self.in_projection(self.attention_norm(x)).view(b, t, 3, self.n_heads, head)
        qkv = qkv.permute(2, 0, 3, 1, 4)
        q = qkv[0] * (1.0 / math.sqrt(head))
        weights = torch.softmax(torch.matmul(q, qkv[1].transpose(-2, -1)) + bias, -1)
        attended = torch.matmul(self.attention_dropout(weights), qkv[2])
        attended = attended.transpose(1, 2).reshape(b, t, d)
        y = x + self.dropout(self.out_projection(attended))
        h = torch.relu(self.feed_forward_in(self.feed_forward_norm(y)))
        return y + self.dropout(self.feed_forward_out(self.dropout(h)))


def attention_bias(inputs):
    t = inputs.size(1)
    causal = torch.ones(t, t, dtype=torch.bool).tril()
    self_key = torch.eye(t, dtype=torch.bool)
    allowed = causal & ((inputs != 0).unsqueeze(1) | self_key)
    bias = torch.zeros(allowed.shape).masked_fill_(~allowed, float("-inf"))
    return bias.unsqueeze(1)


class SasRecNet(nn.Module):
    def __init__(self, n_items, s):
        super().__init__()
        d = s["hidden"]
        self.max_len = s["max_len"]
        self.scale = math.sqrt(d)
        self.items = nn.Embedding(n_items + 1, d, padding_idx=0)
        self.positions = nn.Embedding(self.max_len, d)
        self.dropout = nn.Dropout(s["dropout"])
        self.blocks = nn.ModuleList([Block(s) for _ in range(s["n_blocks"])])
        self.final_norm = nn.LayerNorm(d)
        with torch.no_grad():
            for p in self.parameters():
                if p.dim() == 2:
                    nn.init.xavier_normal_(p)
            self.items.weight[0].zero_()

    def forward(self, inputs):
        t = inputs.size(1)
        keep = (inputs != 0).unsqueeze(-1).float()
        where = torch.arange(self.max_len - t, self.max_len)
        x = self.items(inputs) * self.scale + self.positions(where).unsqueeze(0)
        x = self.dropout(x) * keep
        bias = attention_bias(inputs)
        for block in self.blocks:
            x = block(x, bias) * keep
        return self.final_norm(x) * keep


class SasRecTask:
    def __init__(self, n_items, train, s, seed):
        if s["loss"] != "bce":
            raise ValueError("the peer implements SASRec's BCE loss only")
        self.net = SasRecNet(n_items, s)
        self.n_items = n_items
        self.max_len = s["max_len"]
        self.k = s["n_negatives"]
        self.generator = torch.Generator().manual_seed(seed + 1)
        self.examples = []
        users = []
        for u, seq in enumerate(train):
            if len(seq) >= 2:
                self.examples.append(seq[-(self.max_len + 1) :])
                users.append(u)
        # had[u, i]: user u has item i in training, so it is never drawn as u's negative. A user
        # who has every item excludes only the positive, as Sextant's sampler does.
        self.had = torch.zeros(len(self.examples), n_items, dtype=torch.bool)
        for e, u in enumerate(users):
            if s["exclude_history"]:
                self.had[e, torch.tensor(train[u])] = True
        self.had[self.had.all(dim=1)] = False

    def sample(self, rows, positives):
        """Negatives for every position: uniform, resampled until neither the positive nor had."""
        shape = positives.shape + (self.k,)
        negatives = torch.randint(0, self.n_items, shape, generator=self.generator)
        rows = rows.view(-1, 1, 1).expand(shape)
        while True:
            bad = self.had[rows, negatives] | (negatives == positives.unsqueeze(-1))
            n_bad = int(bad.sum())
            if n_bad == 0:
                return negatives
            negatives[bad] = torch.randint(0, self.n_items, (n_bad,), generator=self.generator)

    def batch_loss(self, examples):
        windows = [self.examples[e] for e in examples]
        width = max(len(w) - 1 for w in windows)
        b = len(windows)
        inputs = torch.zeros(b, width, dtype=torch.long)
        targets = torch.zeros(b, width, dtype=torch.long)
        for r, w in enumerate(windows):
            offset = width - (len(w) - 1)
            inputs[r, offset:] = torch.tensor(w[:-1]) + 1
            targets[r, offset:] = torch.tensor(w[1:]) + 1
        mask = targets != 0
        negatives = self.sample(torch.tensor(examples), (targets - 1).clamp(min=0)) + 1
        negatives[~mask] = 1
        h = self.net(inputs)
        pos = (h * self.net.items(targets)).sum(-1)
        neg = (h.unsqueeze(2) * self.net.items(negatives)).sum(-1)
        per_position = F.softplus(-pos) + F.softplus(neg).sum(-1)
        weight = mask.float()
        return (per_position * weight).sum() / weight.sum(), int(mask.sum())

    def score(self, histories):
        cut = [h[-self.max_len :] for h in histories]
        width = max(1, max(len(h) for h in cut))
        inputs = torch.zeros(len(cut), width, dtype=torch.long)
        for r, h in enumerate(cut):
            if h:
                inputs[r, width - len(h) :] = torch.tensor(h) + 1
        last = self.net(inputs)[:, -1]
        return torch.matmul(last, self.net.items.weight[1:].t())


# ---------------------------------------------------------------------------------------------
# Evaluation and training


def evaluate(task, train, targets, extra, batch_size=256):
    """Mean NDCG@10 and HR@10 of full ranking; `extra` (or None) is appended to each history."""
    ndcg = 0.0
    hits = 0.0
    n = len(train)
    for begin in range(0, n, batch_size):
        end = min(n, begin + batch_size)
        tail = (lambda i: [extra[i]]) if extra is not None else (lambda i: [])
        histories = [train[i] + tail(i) for i in range(begin, end)]
        scores = task.score(histories)
        masked = torch.zeros(scores.shape, dtype=torch.bool)
        for r, h in enumerate(histories):
            masked[r, torch.tensor(h)] = True
        target = torch.tensor(targets[begin:end])
        rows = torch.arange(end - begin)
        target_score = scores[rows, target]
        # Candidates at least as high as the target, the target itself taken out.
        above = ((scores >= target_score.unsqueeze(1)) & ~masked).sum(1) - 1
        above = torch.where(torch.isnan(target_score), torch.full_like(above, n), above)
        rank = (above + 1).double()
        good = (rank <= 10) & ~masked[rows, target]
        ndcg += float(torch.where(good, 1.0 / torch.log2(rank + 1), torch.zeros_like(rank)).sum())
        hits += float(good.sum())
    return ndcg / n, hits / n


def make_optimizer(net, t):
    """Adam (weight decay as L2 on the gradient) or AdamW (decoupled), as make_optimizer()."""
    kind = {"adam": torch.optim.Adam, "adamw": torch.optim.AdamW}[t["optimizer"]]
    return kind(net.parameters(), lr=t["learning_rate"], weight_decay=t["weight_decay"])


def lr_at(step, planned_steps, warmup_steps, t):
    """The learning rate of optimizer step `step` (0-based), as trainer.cpp's lr_at()."""
    peak = t["learning_rate"]
    if t["schedule"] == "constant":
        return peak
    floor = t["min_lr_fraction"] * peak
    s = step + 1
    if s >= planned_steps:
        return floor
    if s <= warmup_steps:
        return peak * s / warmup_steps
    progress = (s - warmup_steps) / (planned_steps - warmup_steps)
    return floor + (peak - floor) * 0.5 * (1 + math.cos(math.pi * progress))


def train_task(task, t, validate):
    """Trains as train_module() does; returns the curve and the training-only seconds."""
    optimizer = make_optimizer(task.net, t)
    steps_per_epoch = (len(task.examples) + t["batch_size"] - 1) // t["batch_size"]
    planned_steps = t["epochs"] * steps_per_epoch
    warmup_steps = t["warmup_steps"]
    if warmup_steps < 0:
        warmup_steps = min(planned_steps // 20, steps_per_epoch)
    step = 0
    rng = random.Random(t["seed"])
    order = list(range(len(task.examples)))
    best, best_metric, best_epoch = None, 0.0, 0
    epochs = []
    train_seconds = 0.0
    n_samples = 0
    start = time.perf_counter()
    for epoch in range(1, t["epochs"] + 1):
        epoch_start = time.perf_counter()
        rng.shuffle(order)
        task.net.train()
        loss_sum, epoch_samples = 0.0, 0
        for first in range(0, len(order), t["batch_size"]):
            for group in optimizer.param_groups:
                group["lr"] = lr_at(step, planned_steps, warmup_steps, t)
            step += 1
            loss, n = task.batch_loss(order[first : first + t["batch_size"]])
            optimizer.zero_grad()
            loss.backward()
            if t["clip_grad_norm"] > 0:
                nn.utils.clip_grad_norm_(task.net.parameters(), t["clip_grad_norm"])
            optimizer.step()
            loss_sum += loss.item() * n
            epoch_samples += n
        train_seconds += time.perf_counter() - epoch_start
        n_samples += epoch_samples
        task.net.eval()
        with torch.no_grad():
            metric = validate()
        improved = not math.isnan(metric) if best_epoch == 0 else metric > best_metric
        if improved:
            best, best_metric, best_epoch = copy.deepcopy(task.net.state_dict()), metric, epoch
        epochs.append(
            {
                "epoch": epoch,
                "loss": loss_sum / max(1, epoch_samples),
                "valid_ndcg_at_10": metric,
                "seconds": time.perf_counter() - epoch_start,
            }
        )
    if best is not None:
        task.net.load_state_dict(best)
    task.net.eval()
    total = time.perf_counter() - start
    return {
        "epochs": epochs,
        "best_epoch": best_epoch,
        "train_samples": n_samples,
        "train_seconds": train_seconds,
        "samples_per_second": n_samples / train_seconds if train_seconds > 0 else 0.0,
        "seconds_per_epoch": total / max(1, len(epochs)),
    }


def check_settings(model, settings):
    t = settings["train"]
    known = t["optimizer"] in ("adam", "adamw") and t["schedule"] in ("constant", "warmup_cosine")
    if not known:
        raise ValueError(f"the peer has no optimizer {t['optimizer']} or schedule {t['schedule']}")
    if model == "gru4rec" and not settings["all_windows"]:
        raise ValueError("the peer implements GRU4Rec with all_windows only")


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: torch_peer.py FILE SETTINGS.json")
    path = sys.argv[1]
    with open(sys.argv[2]) as f:
        sextant_side = json.load(f)
    model = sextant_side["model"]
    settings = sextant_side["settings"]
    check_settings(model, settings)
    t = settings["train"]
    # The cores, used PyTorch's best way as measured on 2 cores (recommend.sh sets
    # BENCH_PEER_THREADS): one intra-op thread, with OpenBLAS's own pool spreading each matrix
    # product over the cores. Two intra-op threads on top of that pool ran GRU4Rec 3.3x slower.
    threads = os.environ.get("BENCH_PEER_THREADS") or t.get("threads", 1)
    torch.set_num_threads(max(1, int(threads)))
    torch.manual_seed(t["seed"])

    start = time.perf_counter()
    phases = {}
    n_items, train, valid, test, n_rows, check = read_split(path)
    phases["read"] = time.perf_counter() - start  # the split is made while reading

    fit_start = time.perf_counter()
    fit_cpu_start = time.process_time()
    if model == "gru4rec":
        task = Gru4RecTask(n_items, train, settings)
    elif model == "sasrec":
        task = SasRecTask(n_items, train, settings, t["seed"])
    else:
        raise ValueError(f"the peer has no model {model!r}")
    curve = train_task(task, t, lambda: evaluate(task, train, valid, None)[0])
    phases["fit"] = time.perf_counter() - fit_start
    fit_cpu_seconds = time.process_time() - fit_cpu_start

    test_start = time.perf_counter()
    with torch.no_grad():
        ndcg, hr = evaluate(task, train, test, valid)
    phases["test"] = time.perf_counter() - test_start
    out = {
        "side": "pytorch",
        "torch": torch.__version__,
        "model": model,
        "rows": n_rows,
        "split": check,
        "parameters": sum(p.numel() for p in task.net.parameters()),
        "model_bytes": sum(p.numel() * p.element_size() for p in task.net.parameters()),
        "test": {"ndcg_at_10": ndcg, "hr_at_10": hr},
        "end_to_end_seconds": time.perf_counter() - start,
        "fit_cpu_seconds": fit_cpu_seconds,
        "phases": phases,
        "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
    }
    out.update(curve)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
