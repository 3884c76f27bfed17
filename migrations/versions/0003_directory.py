"""directory: HSDS services directory, taxonomy, referrals

Revision ID: 0003_directory
Revises: 0001_foundation
"""
from alembic import op
import sqlalchemy as sa


revision = '0003_directory'
down_revision = '0002_routing'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('dir_organizations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=64), nullable=False),
    sa.Column('source_id', sa.String(length=80), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('alternate_name', sa.Text(), nullable=True),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('email', sa.Text(), nullable=True),
    sa.Column('url', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dir_organizations')),
    sa.UniqueConstraint('source', 'source_id', name=op.f('uq_dir_organizations_source'))
    )
    op.create_table('dir_taxonomy_terms',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=80), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('parent_code', sa.String(length=80), nullable=True),
    sa.Column('parent_name', sa.Text(), nullable=True),
    sa.Column('vocabulary', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dir_taxonomy_terms')),
    sa.UniqueConstraint('code', name=op.f('uq_dir_taxonomy_terms_code'))
    )
    op.create_table('dir_locations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=64), nullable=False),
    sa.Column('source_id', sa.String(length=80), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=True),
    sa.Column('name', sa.Text(), nullable=True),
    sa.Column('alternate_name', sa.Text(), nullable=True),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('transportation', sa.Text(), nullable=True),
    sa.Column('latitude', sa.Float(), nullable=True),
    sa.Column('longitude', sa.Float(), nullable=True),
    sa.ForeignKeyConstraint(['organization_id'], ['dir_organizations.id'], name=op.f('fk_dir_locations_organization_id_dir_organizations'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dir_locations')),
    sa.UniqueConstraint('source', 'source_id', name=op.f('uq_dir_locations_source'))
    )
    with op.batch_alter_table('dir_locations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dir_locations_organization_id'), ['organization_id'], unique=False)

    op.create_table('dir_services',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=64), nullable=False),
    sa.Column('source_id', sa.String(length=80), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=True),
    sa.Column('organization_source_id', sa.String(length=80), nullable=True),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('alternate_name', sa.Text(), nullable=True),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('url', sa.Text(), nullable=True),
    sa.Column('email', sa.Text(), nullable=True),
    sa.Column('status', sa.Text(), nullable=True),
    sa.Column('interpretation_services', sa.Text(), nullable=True),
    sa.Column('application_process', sa.Text(), nullable=True),
    sa.Column('wait_time', sa.Text(), nullable=True),
    sa.Column('fees', sa.Text(), nullable=True),
    sa.Column('required_documents', sa.Text(), nullable=True),
    sa.Column('hours_text', sa.Text(), nullable=True),
    sa.Column('region', sa.String(length=32), nullable=True),
    sa.ForeignKeyConstraint(['organization_id'], ['dir_organizations.id'], name=op.f('fk_dir_services_organization_id_dir_organizations'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dir_services')),
    sa.UniqueConstraint('source', 'source_id', name=op.f('uq_dir_services_source'))
    )
    with op.batch_alter_table('dir_services', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dir_services_organization_id'), ['organization_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_dir_services_region'), ['region'], unique=False)
        batch_op.create_index(batch_op.f('ix_dir_services_source'), ['source'], unique=False)
        batch_op.create_index(batch_op.f('ix_dir_services_source_id'), ['source_id'], unique=False)

    op.create_table('dir_accessibility',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source_id', sa.String(length=80), nullable=True),
    sa.Column('location_id', sa.Integer(), nullable=False),
    sa.Column('accessibility', sa.Text(), nullable=False),
    sa.Column('details', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['location_id'], ['dir_locations.id'], name=op.f('fk_dir_accessibility_location_id_dir_locations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dir_accessibility'))
    )
    with op.batch_alter_table('dir_accessibility', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dir_accessibility_location_id'), ['location_id'], unique=False)

    op.create_table('dir_addresses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source_id', sa.String(length=80), nullable=True),
    sa.Column('location_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('attention', sa.Text(), nullable=True),
    sa.Column('address_1', sa.Text(), nullable=True),
    sa.Column('address_2', sa.Text(), nullable=True),
    sa.Column('city', sa.Text(), nullable=True),
    sa.Column('region', sa.Text(), nullable=True),
    sa.Column('state_province', sa.Text(), nullable=True),
    sa.Column('postal_code', sa.Text(), nullable=True),
    sa.Column('country', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['location_id'], ['dir_locations.id'], name=op.f('fk_dir_addresses_location_id_dir_locations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dir_addresses'))
    )
    with op.batch_alter_table('dir_addresses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dir_addresses_location_id'), ['location_id'], unique=False)

    op.create_table('dir_eligibility',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source_id', sa.String(length=80), nullable=True),
    sa.Column('service_id', sa.Integer(), nullable=False),
    sa.Column('eligibility', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['service_id'], ['dir_services.id'], name=op.f('fk_dir_eligibility_service_id_dir_services'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dir_eligibility'))
    )
    with op.batch_alter_table('dir_eligibility', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dir_eligibility_service_id'), ['service_id'], unique=False)

    op.create_table('dir_holiday_schedules',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source_id', sa.String(length=80), nullable=True),
    sa.Column('service_id', sa.Integer(), nullable=True),
    sa.Column('location_id', sa.Integer(), nullable=True),
    sa.Column('closed', sa.Boolean(), nullable=False),
    sa.Column('opens_at', sa.Time(), nullable=True),
    sa.Column('closes_at', sa.Time(), nullable=True),
    sa.Column('start_date', sa.Date(), nullable=False),
    sa.Column('end_date', sa.Date(), nullable=False),
    sa.ForeignKeyConstraint(['location_id'], ['dir_locations.id'], name=op.f('fk_dir_holiday_schedules_location_id_dir_locations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['service_id'], ['dir_services.id'], name=op.f('fk_dir_holiday_schedules_service_id_dir_services'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dir_holiday_schedules'))
    )
    with op.batch_alter_table('dir_holiday_schedules', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dir_holiday_schedules_location_id'), ['location_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_dir_holiday_schedules_service_id'), ['service_id'], unique=False)

    op.create_table('dir_languages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source_id', sa.String(length=80), nullable=True),
    sa.Column('service_id', sa.Integer(), nullable=True),
    sa.Column('location_id', sa.Integer(), nullable=True),
    sa.Column('language', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['location_id'], ['dir_locations.id'], name=op.f('fk_dir_languages_location_id_dir_locations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['service_id'], ['dir_services.id'], name=op.f('fk_dir_languages_service_id_dir_services'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dir_languages'))
    )
    with op.batch_alter_table('dir_languages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dir_languages_location_id'), ['location_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_dir_languages_service_id'), ['service_id'], unique=False)

    op.create_table('dir_phones',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source_id', sa.String(length=80), nullable=True),
    sa.Column('service_id', sa.Integer(), nullable=True),
    sa.Column('location_id', sa.Integer(), nullable=True),
    sa.Column('organization_id', sa.Integer(), nullable=True),
    sa.Column('number', sa.Text(), nullable=False),
    sa.Column('extension', sa.Text(), nullable=True),
    sa.Column('type', sa.Text(), nullable=True),
    sa.Column('language', sa.Text(), nullable=True),
    sa.Column('description', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['location_id'], ['dir_locations.id'], name=op.f('fk_dir_phones_location_id_dir_locations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['organization_id'], ['dir_organizations.id'], name=op.f('fk_dir_phones_organization_id_dir_organizations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['service_id'], ['dir_services.id'], name=op.f('fk_dir_phones_service_id_dir_services'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dir_phones'))
    )
    with op.batch_alter_table('dir_phones', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dir_phones_location_id'), ['location_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_dir_phones_organization_id'), ['organization_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_dir_phones_service_id'), ['service_id'], unique=False)

    op.create_table('dir_referrals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('call_sid', sa.String(length=64), nullable=False),
    sa.Column('service_id', sa.Integer(), nullable=False),
    sa.Column('specialist_id', sa.Integer(), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('need', sa.String(length=32), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['service_id'], ['dir_services.id'], name=op.f('fk_dir_referrals_service_id_dir_services')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dir_referrals'))
    )
    with op.batch_alter_table('dir_referrals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dir_referrals_call_sid'), ['call_sid'], unique=False)
        batch_op.create_index(batch_op.f('ix_dir_referrals_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_dir_referrals_need'), ['need'], unique=False)
        batch_op.create_index(batch_op.f('ix_dir_referrals_service_id'), ['service_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_dir_referrals_specialist_id'), ['specialist_id'], unique=False)

    op.create_table('dir_schedules',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source_id', sa.String(length=80), nullable=True),
    sa.Column('service_id', sa.Integer(), nullable=True),
    sa.Column('location_id', sa.Integer(), nullable=True),
    sa.Column('weekday', sa.Integer(), nullable=False),
    sa.Column('opens_at', sa.Time(), nullable=True),
    sa.Column('closes_at', sa.Time(), nullable=True),
    sa.Column('description', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['location_id'], ['dir_locations.id'], name=op.f('fk_dir_schedules_location_id_dir_locations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['service_id'], ['dir_services.id'], name=op.f('fk_dir_schedules_service_id_dir_services'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dir_schedules'))
    )
    with op.batch_alter_table('dir_schedules', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dir_schedules_location_id'), ['location_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_dir_schedules_service_id'), ['service_id'], unique=False)

    op.create_table('dir_service_areas',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source_id', sa.String(length=80), nullable=True),
    sa.Column('service_id', sa.Integer(), nullable=False),
    sa.Column('service_area', sa.Text(), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['service_id'], ['dir_services.id'], name=op.f('fk_dir_service_areas_service_id_dir_services'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dir_service_areas'))
    )
    with op.batch_alter_table('dir_service_areas', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dir_service_areas_service_id'), ['service_id'], unique=False)

    op.create_table('dir_service_at_location',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source_id', sa.String(length=80), nullable=True),
    sa.Column('service_id', sa.Integer(), nullable=False),
    sa.Column('location_id', sa.Integer(), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['location_id'], ['dir_locations.id'], name=op.f('fk_dir_service_at_location_location_id_dir_locations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['service_id'], ['dir_services.id'], name=op.f('fk_dir_service_at_location_service_id_dir_services'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dir_service_at_location'))
    )
    with op.batch_alter_table('dir_service_at_location', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dir_service_at_location_location_id'), ['location_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_dir_service_at_location_service_id'), ['service_id'], unique=False)

    op.create_table('dir_service_taxonomy',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source_id', sa.String(length=80), nullable=True),
    sa.Column('service_id', sa.Integer(), nullable=False),
    sa.Column('taxonomy_id', sa.Integer(), nullable=False),
    sa.Column('detail', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['service_id'], ['dir_services.id'], name=op.f('fk_dir_service_taxonomy_service_id_dir_services'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['taxonomy_id'], ['dir_taxonomy_terms.id'], name=op.f('fk_dir_service_taxonomy_taxonomy_id_dir_taxonomy_terms'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dir_service_taxonomy'))
    )
    with op.batch_alter_table('dir_service_taxonomy', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dir_service_taxonomy_service_id'), ['service_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_dir_service_taxonomy_taxonomy_id'), ['taxonomy_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('dir_service_taxonomy', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dir_service_taxonomy_taxonomy_id'))
        batch_op.drop_index(batch_op.f('ix_dir_service_taxonomy_service_id'))

    op.drop_table('dir_service_taxonomy')
    with op.batch_alter_table('dir_service_at_location', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dir_service_at_location_service_id'))
        batch_op.drop_index(batch_op.f('ix_dir_service_at_location_location_id'))

    op.drop_table('dir_service_at_location')
    with op.batch_alter_table('dir_service_areas', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dir_service_areas_service_id'))

    op.drop_table('dir_service_areas')
    with op.batch_alter_table('dir_schedules', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dir_schedules_service_id'))
        batch_op.drop_index(batch_op.f('ix_dir_schedules_location_id'))

    op.drop_table('dir_schedules')
    with op.batch_alter_table('dir_referrals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dir_referrals_specialist_id'))
        batch_op.drop_index(batch_op.f('ix_dir_referrals_service_id'))
        batch_op.drop_index(batch_op.f('ix_dir_referrals_need'))
        batch_op.drop_index(batch_op.f('ix_dir_referrals_created_at'))
        batch_op.drop_index(batch_op.f('ix_dir_referrals_call_sid'))

    op.drop_table('dir_referrals')
    with op.batch_alter_table('dir_phones', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dir_phones_service_id'))
        batch_op.drop_index(batch_op.f('ix_dir_phones_organization_id'))
        batch_op.drop_index(batch_op.f('ix_dir_phones_location_id'))

    op.drop_table('dir_phones')
    with op.batch_alter_table('dir_languages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dir_languages_service_id'))
        batch_op.drop_index(batch_op.f('ix_dir_languages_location_id'))

    op.drop_table('dir_languages')
    with op.batch_alter_table('dir_holiday_schedules', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dir_holiday_schedules_service_id'))
        batch_op.drop_index(batch_op.f('ix_dir_holiday_schedules_location_id'))

    op.drop_table('dir_holiday_schedules')
    with op.batch_alter_table('dir_eligibility', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dir_eligibility_service_id'))

    op.drop_table('dir_eligibility')
    with op.batch_alter_table('dir_addresses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dir_addresses_location_id'))

    op.drop_table('dir_addresses')
    with op.batch_alter_table('dir_accessibility', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dir_accessibility_location_id'))

    op.drop_table('dir_accessibility')
    with op.batch_alter_table('dir_services', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dir_services_source_id'))
        batch_op.drop_index(batch_op.f('ix_dir_services_source'))
        batch_op.drop_index(batch_op.f('ix_dir_services_region'))
        batch_op.drop_index(batch_op.f('ix_dir_services_organization_id'))

    op.drop_table('dir_services')
    with op.batch_alter_table('dir_locations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dir_locations_organization_id'))

    op.drop_table('dir_locations')
    op.drop_table('dir_taxonomy_terms')
    op.drop_table('dir_organizations')
