//! Finance and sales: invoices, contracts, items, quotes and suppliers.

use super::codec::model;
use super::date::HaloDate;
use crate::id::Id;
use serde_json::{Number, Value};

model! {
    /// An invoice (`/Invoice`, schema `InvoiceHeader`).
    pub struct Invoice at "Invoice" {
        /// The invoice id.
        id: Id,
        /// The invoice number.
        invoicenumber: String,
        /// The number in the accounts system.
        thirdpartyinvoicenumber: String,
        /// The customer.
        client_id: Id,
        /// The customer's name.
        client_name: String,
        /// The ticket it bills.
        ticket_id: Id,
        /// The contract it bills.
        contract_id: Id,
        /// The invoice date.
        invoice_date: HaloDate,
        /// When payment is due.
        duedate: HaloDate,
        /// When it was posted.
        dateposted: HaloDate,
        /// Whether it is posted.
        posted: bool,
        /// Payment status code.
        paymentstatus: i64,
        /// The total.
        total: Number,
        /// The amount still due.
        amountdue: Number,
        /// The currency (a code or an id, depending on the tenant).
        currency: Value,
        /// The lines (sent only with `includedetails=true`).
        lines: Vec<InvoiceLine>,
    }
}

model! {
    /// One line of an [`Invoice`].
    pub struct InvoiceLine {
        /// The line id.
        id: Id,
        /// The item sold.
        item_id: Id,
        /// The description.
        description: String,
        /// The quantity.
        qty_order: Number,
        /// The unit price.
        unit_price: Number,
        /// The net amount.
        net_amount: Number,
    }
}

model! {
    /// A customer contract (`/ClientContract`).
    pub struct Contract at "ClientContract" {
        /// The contract id.
        id: Id,
        /// The customer.
        client_id: Id,
        /// The customer's name.
        client_name: String,
        /// The contract reference.
        r#ref: String,
        /// When it starts.
        start_date: HaloDate,
        /// When it ends.
        end_date: HaloDate,
        /// Whether it is inactive.
        inactive: bool,
        /// The billing template.
        billingtemplate_id: Id,
    }
}

model! {
    /// A product or stock item (`/Item`).
    pub struct Item at "Item" {
        /// The item id.
        id: Id,
        /// The name.
        name: String,
        /// The description.
        description: String,
        /// The cost price.
        costprice: Number,
        /// The sale price.
        baseprice: Number,
        /// The supplier.
        supplier_id: Id,
        /// Whether it is inactive.
        inactive: bool,
    }
}

model! {
    /// A quote (`/Quotation`).
    pub struct Quote at "Quotation" {
        /// The quote id.
        id: Id,
        /// The customer.
        client_id: Id,
        /// The customer's name.
        client_name: String,
        /// The ticket (opportunity) it belongs to.
        ticket_id: Id,
        /// The title.
        title: String,
        /// Quote status code.
        quote_status: i64,
        /// The total.
        total: Number,
    }
}

model! {
    /// A supplier (`/Supplier`).
    pub struct Supplier at "Supplier" {
        /// The supplier id.
        id: Id,
        /// The name.
        name: String,
        /// Whether it is inactive.
        inactive: bool,
        /// The e-mail address.
        emailaddress: String,
        /// The phone number.
        phonenumber: String,
        /// The website.
        website: String,
    }
}
