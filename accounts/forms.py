from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from accounts.models import ROLES


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=256)])


class CodeForm(FlaskForm):
    code = StringField("Code", validators=[DataRequired(), Length(max=32)])


class ReauthForm(FlaskForm):
    password = PasswordField("Password", validators=[DataRequired(), Length(max=256)])
    code = StringField("Code", validators=[Length(max=32)])


class PasswordChangeForm(FlaskForm):
    current = PasswordField("Current password", validators=[DataRequired(), Length(max=256)])
    new = PasswordField("New password", validators=[DataRequired(), Length(max=256)])
    confirm = PasswordField("New password again", validators=[DataRequired(), EqualTo("new", "the two do not match")])


class SetPasswordForm(FlaskForm):
    name = StringField("Your name", validators=[Length(max=200)])
    new = PasswordField("Password", validators=[DataRequired(), Length(max=256)])
    confirm = PasswordField("Password again", validators=[DataRequired(), EqualTo("new", "the two do not match")])


class InviteForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    role = SelectField("Role", choices=list(ROLES), default="campaigner")


class RoleForm(FlaskForm):
    role = SelectField("Role", choices=list(ROLES))
