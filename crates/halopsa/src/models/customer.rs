//! Customers, their sites and their end users.

use super::codec::model;
use super::date::HaloDate;
use super::field::CustomField;
use crate::id::Id;

model! {
    /// A customer (`/Client`, schema `Area`).
    pub struct Client at "Client" {
        /// The customer id.
        id: Id,
        /// The name.
        name: String,
        /// The top level it sits under.
        toplevel_id: Id,
        /// The top level's name.
        toplevel_name: String,
        /// Whether it is inactive.
        inactive: bool,
        /// Whether it is a VIP.
        is_vip: bool,
        /// Its website.
        website: String,
        /// Notes.
        notes: String,
        /// The accounts-system reference.
        accountsid: String,
        /// The main site.
        main_site_id: Id,
        /// The primary agent.
        pritech: Id,
        /// The secondary agent.
        sectech: Id,
        /// The account manager (an agent).
        accountmanagertech: Id,
        /// When it last changed.
        last_update: HaloDate,
        /// Custom fields (replaced as a whole on write).
        customfields: Vec<CustomField>,
    }
}

model! {
    /// A customer site (`/Site`).
    pub struct Site at "Site" {
        /// The site id.
        id: Id,
        /// The name.
        name: String,
        /// The customer (a double in the spec).
        client_id: Id,
        /// The customer's name.
        client_name: String,
        /// Whether it is inactive.
        inactive: bool,
        /// The service level agreement.
        sla_id: Id,
        /// The time zone (a Windows zone name).
        timezone: String,
        /// The main contact (a user).
        maincontact_id: Id,
        /// Custom fields (replaced as a whole on write).
        customfields: Vec<CustomField>,
    }
}

model! {
    /// An end-user contact (`/Users`).
    pub struct User at "Users" {
        /// The user id (`-1` in a `userlookup` is the customer's "General User").
        id: Id,
        /// The full name.
        name: String,
        /// The first name.
        firstname: String,
        /// The surname.
        surname: String,
        /// The e-mail address.
        emailaddress: String,
        /// The phone number.
        phonenumber: String,
        /// The portal login.
        login: String,
        /// The site (a double in the spec).
        site_id: Id,
        /// The site, as an integer.
        site_id_int: Id,
        /// The site's name.
        site_name: String,
        /// The customer.
        client_id: Id,
        /// The customer's name.
        client_name: String,
        /// Whether it is inactive.
        inactive: bool,
        /// Whether it is a service account.
        isserviceaccount: bool,
        /// The Entra (Azure AD) object id.
        azureoid: String,
        /// The agent this user is linked to.
        linked_agent_id: Id,
        /// Custom fields (replaced as a whole on write).
        customfields: Vec<CustomField>,
    }
}
