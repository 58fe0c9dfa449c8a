"""DRAM standards: presets, the DRAMsim3 importer, and errors on bad tables."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from accelsim.errors import InputError
from accelsim.hw.dram import DramSpec, from_dramsim3_ini, load_dram, standards

DATA = Path(__file__).parent / "data" / "dramsim3"


@pytest.mark.parametrize("name", standards())
def test_every_preset_loads_and_names_a_source(name):
    spec = load_dram(name)
    assert spec.name == name
    assert spec.source
    assert spec.peak_gbs > 0


def test_spatten_hbm2_is_512_gbs_of_32_byte_accesses():
    spec = load_dram("HBM2-SpAtten")  # names are case-insensitive
    assert spec.peak_gbs == pytest.approx(512.0)
    assert spec.organisation.access_bytes == 32
    assert spec.organisation.channels == 32


def test_importer_reads_dramsim3_as_dramsim3_does():
    hbm = from_dramsim3_ini(DATA / "HBM2_8Gb_x128.ini")
    assert hbm.organisation.columns == 128  # DRAMsim3 doubles HBM columns
    assert hbm.organisation.ranks == 1
    assert hbm.timing.rc == 34 + 14
    assert hbm.controller.dual_command
    ddr4 = from_dramsim3_ini(DATA / "DDR4_8Gb_x8_2400.ini")
    assert ddr4.organisation.ranks == 2  # 16 GB channel of 8 GB ranks
    assert ddr4.organisation.capacity_bytes == 16 << 30
    preset = load_dram("ddr4-2400")
    assert ddr4.model_dump(exclude={"name", "standard", "source"}) == preset.model_dump(
        exclude={"name", "standard", "source"})


def test_load_accepts_ini_yaml_and_specs(tmp_path):
    spec = load_dram(DATA / "HBM2_8Gb_x128.ini")
    path = tmp_path / "mine.yaml"
    path.write_text(yaml.safe_dump(spec.model_dump(mode="json")))
    assert load_dram(path) == spec
    assert load_dram(spec) is spec


def test_address_fields_follow_the_mapping():
    spec = load_dram("hbm2-dramsim3")  # rorabgbachco, 64 B accesses, 32 columns, 8 channels
    bits = spec.field_bits
    assert bits["co"] == (6, 5)
    assert bits["ch"] == (11, 3)
    assert bits["ba"] == (14, 2)
    assert bits["bg"] == (16, 2)
    assert bits["ra"] == (18, 0)
    assert bits["ro"] == (18, 15)


class TestErrors:
    @staticmethod
    def write(tmp_path, edit) -> Path:
        data = load_dram("ddr4-2400").model_dump(mode="json")
        edit(data)
        path = tmp_path / "bad.yaml"
        path.write_text(yaml.safe_dump(data))
        return path

    def check(self, tmp_path, edit, pattern):
        with pytest.raises(InputError, match=pattern):
            load_dram(self.write(tmp_path, edit))

    def test_missing_timing(self, tmp_path):
        self.check(tmp_path, lambda d: d["timing"].pop("tRP"),
                   r"^.*bad\.yaml: field 'timing\.tRP': Field required$")

    def test_negative_timing(self, tmp_path):
        self.check(tmp_path, lambda d: d["timing"].update(tRCD=-3),
                   r"^.*field 'timing\.tRCD': Input should be greater than 0, got -3$")

    @pytest.mark.parametrize(("field", "value", "message"), [
        ("bankgroups", 3, "must be a power of two, got 3"),
        ("banks_per_group", 6, "must be a power of two, got 6"),
        ("rows", 1000, "must be a power of two, got 1000"),
        ("channels", 0, "Input should be greater than 0, got 0"),
    ])
    def test_impossible_organisation(self, tmp_path, field, value, message):
        self.check(tmp_path, lambda d: d["organisation"].update({field: value}),
                   rf"^.*bad\.yaml: field 'organisation\.{field}': {message}$")

    def test_refresh_longer_than_interval(self, tmp_path):
        self.check(tmp_path, lambda d: d["timing"].update(tRFC=10000),
                   r"^.*tRFC \(10000\) must be below tREFI \(9360\)$")

    def test_bad_mapping(self, tmp_path):
        self.check(tmp_path, lambda d: d["controller"].update(address_mapping="rorororororo"),
                   r"^.*address_mapping must name each of ch, ra, bg, ba, ro, co once")

    def test_unknown_key(self, tmp_path):
        self.check(tmp_path, lambda d: d["timing"].update(tXYZ=1),
                   r"^.*field 'timing\.tXYZ': unknown field")

    def test_unknown_preset_lists_the_registered_ones(self):
        with pytest.raises(InputError, match=r"^field 'dram': unknown DRAM preset 'ddr9'; "
                                             r"registered: " + re.escape(", ".join(standards())) + " "):
            load_dram("ddr9")

    def test_ini_missing_key(self, tmp_path):
        text = (DATA / "DDR4_8Gb_x8_2400.ini").read_text().replace("tRAS = 39\n", "")
        path = tmp_path / "x.ini"
        path.write_text(text)
        with pytest.raises(InputError, match=r"^.*x\.ini: field 'timing\.tRAS': missing$"):
            from_dramsim3_ini(path)

    def test_spec_is_frozen(self):
        spec = load_dram("ddr4-2400")
        with pytest.raises(Exception, match="frozen"):
            spec.name = "x"
        assert isinstance(spec, DramSpec)


def test_with_channels_counts_hbm_channels_of_two_pseudo_channels():
    spec = load_dram("hbm2-spatten")
    two = spec.with_channels(2)
    assert (two.organisation.channels, two.organisation.pseudo_channels) == (4, 2)
    assert two.peak_gbs == pytest.approx(spec.peak_gbs / 8)
    assert two.field_bits["ch"][1] == 2
    assert spec.with_channels(16).organisation == spec.organisation
    assert load_dram("ddr4-2400").with_channels(4).organisation.channels == 4
