"""A classifier base whose `features` feed auxiliary classifiers in training (GoogLeNet, Inception v3)."""

from __future__ import annotations

import torch
from torch import nn

from ..contract import Classifier, ClassifierOutput


class TappedClassifier(Classifier):
    """A classifier whose `features` (an nn.Sequential) feed auxiliary classifiers in training.

    `aux_heads` maps the name of a child of `features` to the AuxClassifier on its output. In train()
    mode forward returns ClassifierOutput(logits, aux_logits) with the aux logits in forward order,
    weighted in the loss by `aux_loss_weights`; in eval() mode, or with no aux heads, plain logits.
    reset_classifier(n) gives every aux head a fresh n-way layer too; reset_classifier(0) removes
    the aux heads (there are no classes left for them to predict) and aux_loss_weights becomes ().
    """

    features: nn.Sequential
    aux_heads: nn.ModuleDict
    aux_loss_weights: tuple[float, ...]

    def run_features(self, x: torch.Tensor, with_aux: bool) -> tuple[torch.Tensor, list[torch.Tensor]]:
        self.check_input(x)
        aux = []
        for name, module in self.features.named_children():
            x = module(x)
            if with_aux and name in self.aux_heads:
                aux.append(self.aux_heads[name](x))
        return x, aux

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        return self.run_features(x, with_aux=False)[0]

    def stage_sequence(self) -> list[tuple[str, nn.Module]]:
        return [("features", self.features)]

    def forward(self, x: torch.Tensor) -> torch.Tensor | ClassifierOutput:
        x, aux = self.run_features(x, with_aux=self.training and len(self.aux_heads) > 0)
        logits = self.forward_head(x)
        return ClassifierOutput(logits, tuple(aux)) if aux else logits

    def class_layers(self) -> list[nn.Module]:
        return [*super().class_layers(), *(head.fc for head in self.aux_heads.values())]

    def reset_classifier(self, num_classes: int, global_pool: str | None = None) -> None:
        super().reset_classifier(num_classes, global_pool)
        if num_classes:
            for head in self.aux_heads.values():
                head.reset(num_classes)
        else:
            self.aux_heads = nn.ModuleDict()
            self.aux_loss_weights = ()
