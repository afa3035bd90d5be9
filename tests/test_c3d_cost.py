"""C3D's architecture and the FLOP-counter layer table."""

import pytest
import torch
import torch.nn as nn

from vulib.cost import count_params, format_table, layer_table
from vulib.models import C3D


@pytest.fixture(scope="module")
def c3d_rows():
    with torch.device("meta"):
        model = C3D()
    return model, layer_table(model, (3, 16, 112, 112))


def test_c3d_standard_configuration(c3d_rows):
    model, rows = c3d_rows
    convs = [r for r in rows if r.kind == "Conv3d"]
    pools = [m for m in model.features if isinstance(m, nn.MaxPool3d)]
    assert len(convs) == 8 and all(m.kernel_size == (3, 3, 3) for m in model.features if isinstance(m, nn.Conv3d))
    assert pools[0].kernel_size == (1, 2, 2) and all(p.kernel_size == 2 for p in pools[1:])
    fcs = [r for r in rows if r.kind == "Linear"]
    assert [r.out_shape for r in fcs] == [(4096,), (4096,), (487,)]
    assert model.classifier[1].in_features == 8192  # computed, not typed: 512 x 1 x 4 x 4
    assert rows[0].out_shape == (64, 16, 112, 112)


def test_layer_table_counts_match_formulas(c3d_rows):
    model, rows = c3d_rows
    assert rows[0].macs == 64 * 16 * 112 * 112 * (3 * 27)  # conv1a: outputs x (C_in x 3x3x3)
    assert rows[0].params == 64 * 3 * 27 + 64
    assert sum(r.params for r in rows) == count_params(model)
    assert 38e9 < sum(r.macs for r in rows) < 39e9
    assert "total" in format_table(rows)


def test_layer_table_on_a_2d_network():
    net = nn.Sequential(nn.Conv2d(3, 8, 3), nn.ReLU(), nn.Flatten(), nn.Linear(8 * 6 * 6, 10))
    rows = layer_table(net, (3, 8, 8))
    assert [r.macs for r in rows] == [8 * 6 * 6 * 27, 0, 0, 288 * 10]
    with pytest.raises(ValueError, match="input_shape"):
        layer_table(net, (3, 0, 8))


def test_small_c3d_trains_shapes_and_checks():
    m = C3D.small(classes=3, frames=16, size=32)
    assert m(torch.rand(2, 3, 16, 32, 32)).shape == (2, 3)
    with pytest.raises(ValueError, match="T=16"):
        m(torch.rand(2, 3, 8, 32, 32))
    with pytest.raises(ValueError, match="built for 32x32"):
        m(torch.rand(2, 3, 16, 64, 64))
    with pytest.raises(ValueError, match="at least 16 frames"):
        C3D.small(frames=8)
    with pytest.raises(ValueError, match="five blocks"):
        C3D(blocks=((8,),))
