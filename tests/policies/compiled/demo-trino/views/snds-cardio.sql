-- Trino views of project snds-cardio, compiled by bulle from the policy; do not edit.
-- Run as bulle, after bulle built the pseudonym map warehouse.bulle_pseudonyms.snds_cardio.

CREATE SCHEMA IF NOT EXISTS projects.snds_cardio;

CREATE OR REPLACE VIEW projects.snds_cardio.snds_ir_ben_r
COMMENT 'bulle grant 0 of project snds-cardio on snds.ir_ben_r'
SECURITY DEFINER AS
SELECT
  p_ben_nir_psa.project_pseudonym AS ben_nir_psa,
  t.ben_rng_gem AS ben_rng_gem,
  t.ben_nai_ann AS ben_nai_ann,
  t.ben_sex_cod AS ben_sex_cod,
  SUBSTR(CAST(t.ben_res_dpt AS VARCHAR), 1, 2) AS ben_res_dpt,
  CAST(DATE_TRUNC('MONTH', t.ben_dcd_dte) AS DATE) AS ben_dcd_dte
FROM warehouse.snds.ir_ben_r AS t
LEFT JOIN warehouse.bulle_pseudonyms.snds_cardio AS p_ben_nir_psa
  ON p_ben_nir_psa.warehouse_pseudonym = t.ben_nir_psa;

CREATE OR REPLACE VIEW projects.snds_cardio.snds_er_prs_f
COMMENT 'bulle grant 1 of project snds-cardio on snds.er_prs_f'
SECURITY DEFINER AS
SELECT
  p_ben_nir_psa.project_pseudonym AS ben_nir_psa,
  t.ben_rng_gem AS ben_rng_gem,
  t.exe_soi_dtd AS exe_soi_dtd,
  t.prs_nat_ref AS prs_nat_ref,
  t.pse_spe_cod AS pse_spe_cod,
  t.prs_act_qte AS prs_act_qte,
  t.bse_rem_mnt AS bse_rem_mnt,
  t.flx_dis_dtd AS flx_dis_dtd,
  t.flx_trt_dtd AS flx_trt_dtd,
  t.flx_emt_num AS flx_emt_num,
  t.flx_emt_ord AS flx_emt_ord,
  t.flx_emt_typ AS flx_emt_typ,
  t.org_cle_num AS org_cle_num,
  t.dct_ord_num AS dct_ord_num,
  t.prs_ord_num AS prs_ord_num,
  t.rem_typ_aff AS rem_typ_aff
FROM warehouse.snds.er_prs_f AS t
LEFT JOIN warehouse.bulle_pseudonyms.snds_cardio AS p_ben_nir_psa
  ON p_ben_nir_psa.warehouse_pseudonym = t.ben_nir_psa
WHERE
  t.exe_soi_dtd >= CAST('2019-01-01' AS DATE);

CREATE OR REPLACE VIEW projects.snds_cardio.snds_er_pha_f
COMMENT 'bulle grant 2 of project snds-cardio on snds.er_pha_f'
SECURITY DEFINER AS
SELECT
  t.org_cle_new AS org_cle_new,
  t.pha_act_pru AS pha_act_pru,
  t.pha_act_qsn AS pha_act_qsn,
  t.pha_dec_pru AS pha_dec_pru,
  t.pha_dec_qsu AS pha_dec_qsu,
  t.pha_dec_top AS pha_dec_top,
  t.pha_ide_cpl AS pha_ide_cpl,
  t.pha_mod_prn AS pha_mod_prn,
  t.pha_prs_c13 AS pha_prs_c13,
  t.pha_prs_ide AS pha_prs_ide,
  t.pha_seq_rnv AS pha_seq_rnv,
  t.pha_sub_mtf AS pha_sub_mtf,
  t.dct_ord_num AS dct_ord_num,
  t.flx_dis_dtd AS flx_dis_dtd,
  t.flx_emt_num AS flx_emt_num,
  t.flx_emt_ord AS flx_emt_ord,
  t.flx_emt_typ AS flx_emt_typ,
  t.flx_trt_dtd AS flx_trt_dtd,
  t.org_cle_num AS org_cle_num,
  t.prs_ord_num AS prs_ord_num,
  t.rem_typ_aff AS rem_typ_aff
FROM warehouse.snds.er_pha_f AS t;
