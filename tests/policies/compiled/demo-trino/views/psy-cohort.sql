-- Trino views of project psy-cohort, compiled by bulle from the policy; do not edit.
-- Run as bulle, after bulle built the pseudonym map warehouse.bulle_pseudonyms.psy_cohort.

CREATE SCHEMA IF NOT EXISTS projects.psy_cohort;

CREATE OR REPLACE VIEW projects.psy_cohort.omop_person
COMMENT 'bulle grant 0 of project psy-cohort on omop.person'
SECURITY DEFINER AS
SELECT
  p_person_id.project_pseudonym AS person_id,
  t.gender_concept_id AS gender_concept_id,
  CASE WHEN t.year_of_birth < 1936 THEN 1936 ELSE t.year_of_birth END AS year_of_birth,
  t.race_concept_id AS race_concept_id,
  CAST(NULL AS BIGINT) AS location_id
FROM warehouse.omop.person AS t
LEFT JOIN warehouse.bulle_pseudonyms.psy_cohort AS p_person_id
  ON p_person_id.warehouse_pseudonym = CAST(t.person_id AS VARCHAR);

CREATE OR REPLACE VIEW projects.psy_cohort.omop_condition_occurrence
COMMENT 'bulle grant 1 of project psy-cohort on omop.condition_occurrence'
SECURITY DEFINER AS
SELECT
  t.condition_occurrence_id AS condition_occurrence_id,
  p_person_id.project_pseudonym AS person_id,
  t.condition_concept_id AS condition_concept_id,
  t.condition_start_date AS condition_start_date,
  t.condition_start_datetime AS condition_start_datetime,
  t.condition_end_date AS condition_end_date,
  t.condition_end_datetime AS condition_end_datetime,
  t.condition_type_concept_id AS condition_type_concept_id,
  t.condition_status_concept_id AS condition_status_concept_id,
  t.stop_reason AS stop_reason,
  t.visit_occurrence_id AS visit_occurrence_id,
  t.visit_detail_id AS visit_detail_id,
  t.condition_source_concept_id AS condition_source_concept_id
FROM warehouse.omop.condition_occurrence AS t
LEFT JOIN warehouse.bulle_pseudonyms.psy_cohort AS p_person_id
  ON p_person_id.warehouse_pseudonym = CAST(t.person_id AS VARCHAR)
WHERE
  t.condition_start_date >= CAST('2015-01-01' AS DATE);

CREATE OR REPLACE VIEW projects.psy_cohort.omop_drug_exposure
COMMENT 'bulle grant 2 of project psy-cohort on omop.drug_exposure'
SECURITY DEFINER AS
SELECT
  t.drug_exposure_id AS drug_exposure_id,
  p_person_id.project_pseudonym AS person_id,
  t.drug_concept_id AS drug_concept_id,
  t.drug_exposure_start_date AS drug_exposure_start_date,
  t.drug_exposure_end_date AS drug_exposure_end_date,
  t.quantity AS quantity,
  t.days_supply AS days_supply,
  t.route_concept_id AS route_concept_id
FROM warehouse.omop.drug_exposure AS t
LEFT JOIN warehouse.bulle_pseudonyms.psy_cohort AS p_person_id
  ON p_person_id.warehouse_pseudonym = CAST(t.person_id AS VARCHAR)
WHERE
  t.drug_exposure_start_date >= CAST('2015-01-01' AS DATE)
  AND t.drug_concept_id <> 0;
