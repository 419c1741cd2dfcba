{#- A model that lists problems (conflicts, ...) passes when it is empty. -#}
{% test no_rows(model) %}
select * from {{ model }}
{% endtest %}
