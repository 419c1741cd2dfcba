"""The confidential figures the free ones give away (quality.qa_disclosure, built by dbt) beside the stewards'
confirmations (audit.disclosure_confirmations): read once here, by the publication that holds a release and by the
report that lists them. A confirmation is for one figure at one value."""

DERIVABLE_SQL = """
    select
        d.indicator_code, d.region_code, d.period_label, d.breakdown, d.value, d.derivation, d.derived_from,
        exists (
            select 1 from audit.disclosure_confirmations as c
            where c.indicator_code = d.indicator_code and c.region_code = d.region_code
              and c.period_label = d.period_label and c.breakdown = d.breakdown and c.value is not distinct from d.value
        ) as confirmed
    from quality.qa_disclosure as d
"""
