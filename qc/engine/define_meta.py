"""A define.xml's dataset and variable metadata with CORE's column names, for the rule types that
compare a submission with its define.xml (the CORE rule types `... against Define XML`).

Read from the tables of `define.tables` (Define-XML 1.0, 2.0 and 2.1): one row per ItemGroupDef
(`define_dataset_*`), one per ItemRef of an ItemGroupDef (`define_variable_*`, with the dataset it
belongs to) and one per value-level ItemRef (`define_vlm_*`, with its where clause), for `Value
Check against Define XML VLM`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from define.tables import define_tables

DATASET_COLUMNS = ("define_dataset_name", "define_dataset_label", "define_dataset_class",
                   "define_dataset_structure", "define_dataset_domain", "define_dataset_location",
                   "define_dataset_has_no_data", "define_dataset_is_non_standard",
                   "define_dataset_key_sequence", "define_dataset_variables")
VARIABLE_COLUMNS = ("define_variable_name", "define_variable_label", "define_variable_data_type",
                    "define_variable_size", "define_variable_length", "define_variable_order_number",
                    "define_variable_mandatory", "define_variable_role", "define_variable_origin_type",
                    "define_variable_has_no_data", "define_variable_has_codelist",
                    "define_variable_has_method", "define_variable_has_comment", "define_variable_format")


# One condition of a where clause: (variable, comparator, values), all of a clause's must hold.
Condition = tuple[str, str, tuple[str, ...]]


@dataclass(frozen=True)
class DefineMetadata:
    file: str
    datasets: pd.DataFrame  # DATASET_COLUMNS, a row per ItemGroupDef
    variables: pd.DataFrame  # `dataset` + VARIABLE_COLUMNS, a row per ItemRef of an ItemGroupDef
    # `dataset`, define_variable_name, the define_vlm_* columns and `where` (Conditions), a row per
    # value-level ItemRef
    value_level: pd.DataFrame

    def dataset(self, name: str) -> dict:
        """The define.xml's row of dataset `name`; every column empty when it has none."""
        rows = self.datasets[self.datasets["define_dataset_name"] == name]
        return rows.iloc[0].to_dict() if len(rows) else dict.fromkeys(DATASET_COLUMNS, "")

    def variables_of(self, name: str) -> pd.DataFrame:
        return self.variables[self.variables["dataset"] == name].drop(columns="dataset")

    def value_level_of(self, name: str) -> pd.DataFrame:
        return self.value_level[self.value_level["dataset"] == name].drop(columns="dataset")


def read_define_metadata(path: str | Path) -> DefineMetadata:
    tables = define_tables(path)
    groups, refs, items = tables["DEFINE_ITEMGROUPS"], tables["DEFINE_ITEMREFS"], tables["DEFINE_ITEMS"]
    refs = refs[refs["parent"] == "ItemGroupDef"]
    merged = refs.merge(items.add_prefix("item_"), left_on="ItemOID", right_on="item_OID", how="left")
    merged = merged.fillna("")
    length = pd.to_numeric(merged["item_Length"], errors="coerce")
    variables = pd.DataFrame({
        "dataset": merged["parent_Name"].str.upper(),
        "define_variable_name": merged["Variable"],
        "define_variable_label": merged["item_Label"],
        "define_variable_data_type": merged["item_DataType"],
        "define_variable_size": length, "define_variable_length": length,
        "define_variable_order_number": pd.to_numeric(merged["OrderNumber"], errors="coerce"),
        "define_variable_mandatory": merged["Mandatory"],
        "define_variable_role": merged["Role"],
        "define_variable_origin_type": merged["item_OriginType"],
        "define_variable_has_no_data": merged["HasNoData"] == "Yes",
        "define_variable_has_codelist": merged["item_CodeListOID"] != "",
        "define_variable_has_method": merged["MethodOID"] != "",
        "define_variable_has_comment": merged["item_CommentOID"] != "",
        "define_variable_format": merged["item_DisplayFormat"],
    })
    names = variables.groupby("dataset", sort=False)["define_variable_name"].agg(list)
    oid_names = dict(zip(merged["ItemOID"], merged["Variable"], strict=True))
    datasets = pd.DataFrame({
        "define_dataset_name": groups["Name"].str.upper(),
        "define_dataset_label": groups["Label"],
        "define_dataset_class": groups["Class"],
        "define_dataset_structure": groups["Structure"],
        "define_dataset_domain": groups["Domain"],
        "define_dataset_location": groups["leaf_href"],
        "define_dataset_has_no_data": groups["HasNoData"] == "Yes",
        "define_dataset_is_non_standard": groups["IsNonStandard"] == "Yes",
        "define_dataset_key_sequence": [[oid_names.get(k, k) for k in keys.split(", ") if k]
                                        for keys in groups["keys"]],
        "define_dataset_variables": [names.get(n.upper(), []) for n in groups["Name"]],
    })
    return DefineMetadata(str(path), datasets, variables.reset_index(drop=True), _value_level(tables))


def _value_level(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Each value-level ItemRef with its ItemDef, the variable and dataset it describes, and its
    where clause as conditions on variable names."""
    refs, items, clauses = tables["DEFINE_ITEMREFS"], tables["DEFINE_ITEMS"], tables["DEFINE_WHERECLAUSES"]
    names = dict(zip(items["OID"], items["Name"], strict=True))
    owners = items[items["ValueListOID"] != ""][["OID", "Name", "ValueListOID"]]
    group_refs = refs[refs["parent"] == "ItemGroupDef"][["ItemOID", "parent_Name"]].rename(
        columns={"parent_Name": "owner_dataset", "ItemOID": "owner_OID"})
    owners = owners.merge(group_refs, left_on="OID", right_on="owner_OID")
    conditions: dict[str, list[Condition]] = {}
    if not clauses.empty:
        for clause in clauses.itertuples():
            values = tuple(clause.CheckValues.split("; ")) if clause.CheckValues else ()
            conditions.setdefault(clause.OID, []).append((names.get(clause.ItemOID, ""), clause.Comparator,
                                                           values))
    vlm = refs[refs["parent"] == "ValueListDef"].merge(items.add_prefix("item_"), left_on="ItemOID",
                                                       right_on="item_OID")
    vlm = vlm.merge(owners[["ValueListOID", "Name", "owner_dataset"]], left_on="parent_OID",
                    right_on="ValueListOID")
    return pd.DataFrame({
        "dataset": vlm["owner_dataset"].str.upper(),
        "define_variable_name": vlm["Name"],
        "define_vlm_name": vlm["item_Name"],
        "define_vlm_label": vlm["item_Label"],
        "define_vlm_data_type": vlm["item_DataType"],
        "define_vlm_length": pd.to_numeric(vlm["item_Length"], errors="coerce"),
        "define_vlm_mandatory": vlm["Mandatory"],
        "define_vlm_has_codelist": vlm["item_CodeListOID"] != "",
        "define_vlm_origin_type": vlm["item_OriginType"],
        "where": [tuple(conditions.get(oid, ())) for oid in vlm["WhereClauseOID"]],
    }).reset_index(drop=True)
