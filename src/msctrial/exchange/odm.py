"""CDISC ODM 1.3.2: the study's metadata and clinical data as one XML document. Pure.

Visits are StudyEventDefs in schedule order, each form a FormDef holding one ItemGroupDef of
its items; an item carries its ODM data type, its canonical unit (a MeasurementUnit of
BasicDefinitions), its hard and soft limits as RangeChecks and its choices as a CodeList.
Each site is an AdminData Location its subjects' SiteRef names.
Clinical data nest subject → visit → form → item with the value in the item's canonical unit.
No arm appears in ODM: visit data are the same in every arm.
"""

from __future__ import annotations

from lxml import etree

from msctrial.exchange.model import FormMeta, ItemMeta, StudyMeta, TrialData, ValueRecord, oid

ODM_NS = "http://www.cdisc.org/ns/odm/v1.3"
_E = f"{{{ODM_NS}}}"

# ODM 1.3.2 §2.5 data types for msctrial's item kinds; a choice is coded text.
DATA_TYPES = {
    "number": "float",
    "choice": "text",
    "boolean": "boolean",
    "date": "date",
    "text": "text",
}


def _el(parent: etree._Element, tag: str, **attrs: str) -> etree._Element:
    return etree.SubElement(parent, _E + tag, {k: v for k, v in attrs.items() if v is not None})


def _text(parent: etree._Element, tag: str, text: str) -> etree._Element:
    el = _el(parent, tag)
    _el(el, "TranslatedText", **{"{http://www.w3.org/XML/1998/namespace}lang": "en"}).text = text
    return el


def unit_oid(unit: str) -> str:
    """A unit's OID: its UCUM-like symbol spelled in letters (``10^9/L`` → ``MU.10E9_PER_L``)."""
    spelled = unit.replace("^", "E").replace("/", "_PER_").replace("%", "PCT")
    return oid("MU", spelled) if unit != "1" else "MU.RATIO"


def item_oid(form: str, item: str) -> str:
    return oid("I", form, item)


def _range_checks(parent: etree._Element, item: ItemMeta) -> None:
    for strength, limits in (("Hard", item.hard), ("Soft", item.soft)):
        if limits is None:
            continue
        for comparator, bound in (("GE", limits[0]), ("LE", limits[1])):
            if bound is None:
                continue
            check = _el(parent, "RangeCheck", Comparator=comparator, SoftHard=strength)
            _el(check, "CheckValue").text = f"{bound:g}"
            _text(check, "ErrorMessage", f"{item.label}: {comparator} {bound:g} ({strength})")


def _item_def(mdv: etree._Element, form: FormMeta, item: ItemMeta) -> None:
    el = _el(
        mdv,
        "ItemDef",
        OID=item_oid(form.name, item.name),
        Name=item.name,
        DataType=DATA_TYPES[item.kind],
    )
    _text(el, "Question", item.label)
    if item.unit:
        _el(el, "MeasurementUnitRef", MeasurementUnitOID=unit_oid(item.unit))
    _range_checks(el, item)
    if item.choices:
        _el(el, "CodeListRef", CodeListOID=oid("CL", form.name, item.name))


def _metadata(study_el: etree._Element, study: StudyMeta) -> None:
    units = sorted({i.unit for f in study.forms for i in f.items if i.unit})
    if units:
        basic = _el(study_el, "BasicDefinitions")
        for unit in units:
            mu = _el(basic, "MeasurementUnit", OID=unit_oid(unit), Name=unit)
            _text(mu, "Symbol", unit)
    mdv = _el(
        study_el,
        "MetaDataVersion",
        OID=oid("MDV", study.protocol_version),
        Name=f"{study.title} version {study.protocol_version}",
    )
    protocol = _el(mdv, "Protocol")
    for n, visit in enumerate(study.visits, 1):
        _el(
            protocol,
            "StudyEventRef",
            StudyEventOID=oid("SE", visit.name),
            OrderNumber=str(n),
            Mandatory="Yes",
        )
    for visit in study.visits:
        se = _el(mdv, "StudyEventDef", OID=oid("SE", visit.name), Name=visit.name)
        se.set("Repeating", "No")
        se.set("Type", "Scheduled")
        for n, name in enumerate(visit.forms, 1):
            _el(se, "FormRef", FormOID=oid("F", name), OrderNumber=str(n), Mandatory="Yes")
    for form in study.forms:
        f = _el(mdv, "FormDef", OID=oid("F", form.name), Name=form.label, Repeating="No")
        _el(f, "ItemGroupRef", ItemGroupOID=oid("IG", form.name), Mandatory="Yes")
    for form in study.forms:
        ig = _el(mdv, "ItemGroupDef", OID=oid("IG", form.name), Name=form.label, Repeating="No")
        for n, item in enumerate(form.items, 1):
            _el(
                ig,
                "ItemRef",
                ItemOID=item_oid(form.name, item.name),
                OrderNumber=str(n),
                Mandatory="Yes" if item.required else "No",
            )
    for form in study.forms:
        for item in form.items:
            _item_def(mdv, form, item)
    for form in study.forms:
        for item in form.items:
            if item.choices:
                cl = _el(mdv, "CodeList", OID=oid("CL", form.name, item.name), Name=item.label)
                cl.set("DataType", "text")
                for choice in item.choices:
                    _text(_el(cl, "CodeListItem", CodedValue=choice), "Decode", choice)


def _sites(root: etree._Element, data: TrialData, study_oid: str) -> None:
    """AdminData: each site the reader sees, as a Location its subjects' SiteRef points at."""
    sites = sorted({s.site for s in data.subjects})
    if not sites:
        return
    admin = _el(root, "AdminData", StudyOID=study_oid)
    for site in sites:
        location = _el(admin, "Location", OID=oid("LOC", site), Name=site, LocationType="Site")
        _el(
            location,
            "MetaDataVersionRef",
            StudyOID=study_oid,
            MetaDataVersionOID=oid("MDV", data.study.protocol_version),
            EffectiveDate=data.exported_at.date().isoformat(),
        )


def _clinical(root: etree._Element, data: TrialData, study_oid: str) -> None:
    clinical = _el(
        root,
        "ClinicalData",
        StudyOID=study_oid,
        MetaDataVersionOID=oid("MDV", data.study.protocol_version),
    )
    visit_order = {v.name: n for n, v in enumerate(data.study.visits)}
    nested: dict[str, dict[str, dict[str, list[ValueRecord]]]] = {}
    for v in data.values:
        nested.setdefault(v.subject, {}).setdefault(v.visit, {}).setdefault(v.form, []).append(v)
    for subject in data.subjects:
        visits = nested.get(subject.code, {})
        sd = _el(clinical, "SubjectData", SubjectKey=subject.code)
        _el(sd, "SiteRef", LocationOID=oid("LOC", subject.site))
        for visit in sorted(visits, key=lambda name: visit_order.get(name, len(visit_order))):
            se = _el(sd, "StudyEventData", StudyEventOID=oid("SE", visit))
            for form_name, values in visits[visit].items():
                fd = _el(se, "FormData", FormOID=oid("F", form_name))
                ig = _el(fd, "ItemGroupData", ItemGroupOID=oid("IG", form_name))
                for value in sorted(values, key=lambda v: v.item):
                    item = _el(ig, "ItemData", ItemOID=item_oid(form_name, value.item))
                    item.set("Value", value.shown)
                    if value.number is not None and value.unit:
                        _el(item, "MeasurementUnitRef", MeasurementUnitOID=unit_oid(value.unit))


def odm_document(data: TrialData) -> etree._Element:
    """The ODM root element: a Snapshot of the study, with clinical data unless metadata only."""
    study = data.study
    stamp = data.exported_at.isoformat(timespec="seconds")
    root = etree.Element(
        _E + "ODM",
        {
            "FileType": "Snapshot",
            "FileOID": f"{oid('ODM', study.code)}.{data.exported_at:%Y%m%dT%H%M%S}",
            "CreationDateTime": stamp,
            "ODMVersion": "1.3.2",
            "Originator": "msctrial",
        },
        nsmap={None: ODM_NS},
    )
    study_oid = oid("ST", study.code)
    study_el = _el(root, "Study", OID=study_oid)
    gv = _el(study_el, "GlobalVariables")
    _el(gv, "StudyName").text = study.code
    _el(gv, "StudyDescription").text = study.title
    _el(gv, "ProtocolName").text = f"{study.title} ({study.protocol_version})"
    _metadata(study_el, study)
    if not data.metadata_only:
        _sites(root, data, study_oid)
        _clinical(root, data, study_oid)
    return root


def odm_bytes(data: TrialData) -> bytes:
    return etree.tostring(
        odm_document(data), xml_declaration=True, encoding="UTF-8", pretty_print=True
    )
